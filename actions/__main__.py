"""`python -m actions [rasa_sdk options]`: the action server with masked logs (actions.server)."""

from actions.server import main

if __name__ == "__main__":
    main()
