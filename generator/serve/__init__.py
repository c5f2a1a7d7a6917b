"""The development server behind `homepost serve`: build, serve, watch, rebuild, reload the browser.

    server = DevServer(site_dir, ServeOptions(port=0), report=print_outcome)
    server.start()    # bind, build once (drafts and scheduled posts included), watch, serve
    ...               # every change rebuilds; open pages reload, or show the build's problems
    server.stop()

`devserver.py` owns the build loop and its state, `watch.py` decides which file events count,
`web.py` answers HTTP (the output under the base path, the reload script, the event stream),
and `client.js` is the script injected into every HTML response.
"""

from generator.serve.devserver import SERVE_OUTPUT, BuildOutcome, DevServer, ServeOptions
from generator.serve.web import CLIENT_PATH, EVENTS_PATH

__all__ = ["CLIENT_PATH", "EVENTS_PATH", "SERVE_OUTPUT", "BuildOutcome", "DevServer", "ServeOptions"]
