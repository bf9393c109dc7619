from cxloop.cli.main import main

main()
