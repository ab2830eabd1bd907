"""One dependency-injector container per context (core, identity, admin, mail, scheduling, agent), composed in
entrypoints/container.py; see compose.py for how a context receives the shared providers it declares."""
