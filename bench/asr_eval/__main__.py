from bench.asr_eval.run import main

main()
