"""The web pages of the accounts app: the front door (flows.py, whose work happens in the browser
over /v1) and the confirmation links of the mails (links.py, plain forms)."""
