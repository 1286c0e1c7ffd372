"""The app's side of the ``storage`` library: the configured store, file checks and the
``edoc storage`` commands (fsck, gc, copy)."""
