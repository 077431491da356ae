"""camnet's benchmark: real hub, real senders and real viewers as processes on loopback."""
