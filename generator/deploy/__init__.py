"""`homepost deploy`: put the built output folder on the web host, as `[deploy]` says.

Three methods, one module each, listed in `site.METHODS`; `site.deploy_site` runs the configured one:

- `rsync`: the system `rsync` copies the output to a local folder or `host:path`, comparing files by
  checksum (a fresh build on a CI runner sends only what really changed) and, with `delete`,
  removing what the build no longer has once the transfer is complete.
- `git`: the output becomes one commit on `branch` of `repository`, pushed (GitHub Pages, Codeberg
  Pages). The work happens in a repository of its own in `.homepost/deploy-git/`, never in the
  site's repository; a `CNAME` on the branch is kept when the build has none, `.nojekyll` is added,
  and nothing is committed when nothing changed.
- `command`: any shell command, with `{output}` replaced by the output folder (shell-quoted), run in
  the site folder.

`base` holds what they share: options, result, error, running a program, the lock. Credentials come
from the user's own setup (SSH agent, git credential helper, the environment of the command), never
from site.toml. Messages carry URLs without userinfo. A dry run prints what would be sent, committed
or run, and changes nothing on the host.
"""
