"use client";
// Live waveform of the microphone, drawn from the capture's AnalyserNode each frame.

import { useEffect, useRef } from "react";

export function VoiceWaveform({ analyser, active }: { analyser: AnalyserNode | null; active: boolean }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const canvas = canvasRef.current;
    const g = canvas?.getContext("2d");
    if (!canvas || !g) return;
    const samples = new Float32Array(analyser?.fftSize ?? 1024);
    let frame = 0;
    const draw = () => {
      const { width, height } = canvas;
      g.clearRect(0, 0, width, height);
      g.lineWidth = 3;
      g.strokeStyle = active ? "#7c5cff" : "#c9c3e6";
      g.beginPath();
      if (analyser) analyser.getFloatTimeDomainData(samples);
      else samples.fill(0);
      for (let i = 0; i < samples.length; i++) {
        const x = (i / (samples.length - 1)) * width;
        // Speech is quiet next to full scale; a fixed gain keeps it visible.
        const y = height / 2 - Math.max(-1, Math.min(1, samples[i] * 4)) * (height / 2 - 4);
        if (i === 0) g.moveTo(x, y);
        else g.lineTo(x, y);
      }
      g.stroke();
      frame = requestAnimationFrame(draw);
    };
    draw();
    return () => cancelAnimationFrame(frame);
  }, [analyser, active]);

  return <canvas ref={canvasRef} className="voice-waveform" width={480} height={120} aria-label="Microphone level" />;
}
