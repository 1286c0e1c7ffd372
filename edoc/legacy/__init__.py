"""Moving an agency's past registers and files from another e-office system into edoc."""
