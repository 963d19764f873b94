// Starts the real Luna stack for browser tests, every piece on a free loopback port:
// seeded SQLite database → action agent (LunaService, dev login on) → gateway → web bridge
// → Next.js (next start, built beforehand) → Envoy in front of all of it. stop() ends them all.
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const ROOT = path.resolve(APP_DIR, "..");
const PYTHON = path.join(ROOT, ".venv", "bin", "python");
const TOKEN_SECRET = "e2e-secret-for-luna-voice-0123456789";

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function waitForPort(port, proc, name, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (proc.exitCode !== null) return reject(new Error(`${name} exited with ${proc.exitCode}:\n${proc.log()}`));
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve();
      });
      socket.once("error", () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`${name} not listening on ${port}:\n${proc.log()}`));
        else setTimeout(attempt, 150);
      });
    };
    attempt();
  });
}

function launch(name, command, args, options) {
  const proc = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
  const lines = [];
  const keep = (chunk) => {
    for (const line of chunk.toString().split("\n")) if (line) lines.push(line);
    if (lines.length > 400) lines.splice(0, lines.length - 400);
  };
  proc.stdout.on("data", keep);
  proc.stderr.on("data", keep);
  proc.log = () => lines.map((l) => `${name} | ${l}`).join("\n");
  proc.lines = lines;
  proc.label = name;
  return proc;
}

function waitForServing(proc, timeoutMs = 90000) {
  // The Python services print "SERVING <name> <host:port>" once bound.
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = () => {
      const line = proc.lines.find((l) => l.startsWith("SERVING "));
      if (line) return resolve(line.split(" ")[2]);
      if (proc.exitCode !== null) return reject(new Error(`${proc.label} exited with ${proc.exitCode}:\n${proc.log()}`));
      if (Date.now() > deadline) return reject(new Error(`${proc.label} did not start:\n${proc.log()}`));
      setTimeout(check, 100);
    };
    check();
  });
}

async function stopProcess(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.once("exit", resolve));
  proc.kill("SIGTERM");
  const timer = setTimeout(() => proc.kill("SIGKILL"), 8000);
  await exited;
  clearTimeout(timer);
}

export async function startStack() {
  if (!existsSync(path.join(APP_DIR, ".next", "BUILD_ID"))) {
    throw new Error("the app is not built: run `npm run build` in user-app (make test-app does)");
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), "luna-e2e-"));
  const database = `sqlite:///${path.join(tmp, "luna.db")}`;
  execFileSync(path.join(ROOT, ".venv", "bin", "luna"), ["seed", "--database-url", database], { cwd: ROOT });
  const env = {
    ...process.env, LUNA_TOKEN_SECRET: TOKEN_SECRET, LUNA_DEV_LOGIN: "1", DATABASE_URL: database,
    PYTHONUNBUFFERED: "1", LUNA_LOG_LEVEL: "WARNING", NEXT_TELEMETRY_DISABLED: "1",
  };
  const procs = [];
  const stop = async () => {
    for (const proc of procs.reverse()) await stopProcess(proc);
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    const action = launch("action", PYTHON, ["-m", "action_agent", "--port", "0"], { cwd: ROOT, env });
    procs.push(action);
    const actionAddress = await waitForServing(action);
    const gateway = launch("gateway", PYTHON, ["-m", "gateway", "--port", "0", "--action-agent", actionAddress],
      { cwd: ROOT, env });
    procs.push(gateway);
    const gatewayAddress = await waitForServing(gateway);
    // A fixed port, so restartBridge() can bring it back where Envoy expects it.
    const bridgePort = await freePort();
    const startBridge = async () => {
      const bridge = launch("bridge", PYTHON, ["-m", "web_bridge", "--port", String(bridgePort), "--gateway",
        gatewayAddress], { cwd: ROOT, env: { ...env, LUNA_LOG_LEVEL: "INFO" } });
      procs.push(bridge);
      await waitForServing(bridge);
      return bridge;
    };
    let bridge = await startBridge();
    const bridgeAddress = `127.0.0.1:${bridgePort}`;
    const appPort = await freePort();
    const next = launch("next", process.execPath,
      [path.join(APP_DIR, "node_modules", "next", "dist", "bin", "next"), "start", "-H", "127.0.0.1", "-p",
        String(appPort)], { cwd: APP_DIR, env });
    procs.push(next);
    const envoyPort = await freePort();
    const envoy = launch("envoy", PYTHON, ["-m", "web_bridge.envoy", "--listen", `127.0.0.1:${envoyPort}`,
      "--gateway", gatewayAddress, "--action-agent", actionAddress, "--bridge", bridgeAddress,
      "--app", `127.0.0.1:${appPort}`, "--out", path.join(tmp, "envoy.yaml")], { cwd: ROOT, env });
    procs.push(envoy);
    await waitForPort(appPort, next, "next");
    await waitForPort(envoyPort, envoy, "envoy");
    return {
      appUrl: `http://127.0.0.1:${envoyPort}`,
      databaseUrl: database,
      procs,
      logs: () => procs.map((p) => p.log()).join("\n"),
      stop,
      /** Stop the web bridge (open sockets get 1001) and start it again on the same port. */
      restartBridge: async (downMs = 1000) => {
        await stopProcess(bridge);
        await new Promise((resolve) => setTimeout(resolve, downMs));
        bridge = await startBridge();
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
