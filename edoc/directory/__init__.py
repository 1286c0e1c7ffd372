"""The directory of agencies (danh bạ cơ quan): who documents are sent to and received from."""
