"""A local mail catcher: an SMTP server on loopback that keeps what it receives, and a page to
read it. `make run` points Billbridge's mail at it, so an invoice emailed in the demo lands
here instead of in a client's inbox. No Django, no billbridge: it stands alone, like
qbo_emulator (`python -m mail_catcher --help`)."""
