"""Job logs: everything in the file, warnings also on the console."""

import logging

from chromexpr.logs import step_log


def test_a_jobs_warnings_reach_the_console_and_its_progress_stays_in_the_file(tmp_path, capsys):
    log = tmp_path / "job.log"
    with step_log(str(log)):
        logging.getLogger("chromexpr.genome").info("progress")
        logging.getLogger("chromexpr.genome").warning("dropped 3 genes")
    console = capsys.readouterr().err
    assert "dropped 3 genes" in console and "progress" not in console
    assert "progress" in log.read_text() and "dropped 3 genes" in log.read_text()
