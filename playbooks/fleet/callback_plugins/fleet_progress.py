# Per-host progress of playbooks/fleet/site.yml on a terminal, the way the shell playbook and
# ir-collect show theirs: one line on stderr, rewritten in place, "[step i] TASK: k hosts done
# (host: status)". Nothing at all when stderr is not a terminal (logs stay clean).
import sys

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "fleet_progress"
    CALLBACK_NEEDS_ENABLED = False  # on by being next to the playbook

    def __init__(self):
        super().__init__()
        self._tty = sys.stderr.isatty()
        self._step = 0
        self._task = ""
        self._done = 0

    def _draw(self, text):
        if not self._tty:
            return
        clean = "".join(c if c.isprintable() else "?" for c in text)
        sys.stderr.write("\r\033[K" + clean[:150])
        sys.stderr.flush()

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._step += 1
        self._task = task.get_name()
        self._done = 0
        self._draw("[step %d] %s" % (self._step, self._task))

    def _host(self, result, status):
        self._done += 1
        self._draw("[step %d] %s: %d host(s) done (%s: %s)" %
                   (self._step, self._task, self._done, result._host.get_name(), status))

    def v2_runner_on_ok(self, result):
        self._host(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._host(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._host(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._host(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        if self._tty:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
