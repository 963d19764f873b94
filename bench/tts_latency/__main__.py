from bench.tts_latency.run import main

main()
