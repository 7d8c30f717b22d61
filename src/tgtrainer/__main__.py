from tgtrainer.cli import main

main()
