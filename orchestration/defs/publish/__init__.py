"""Publishing: after the gate passes, the public marts go to a read-only snapshot."""
