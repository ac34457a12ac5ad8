from photosync.cli.main import run

run()
