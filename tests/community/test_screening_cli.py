"""``plaza screening``: staff manage rules from a shell, with the community's checks."""

from __future__ import annotations


def test_rules_are_added_listed_and_removed_and_bad_ones_refused(runner):
    result = runner.invoke(args=["screening", "add", "knockoff", "--action", "refuse",
                                 "--note", "no counterfeits"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Rule 1: refuse knockoff"
    result = runner.invoke(args=["screening", "add", r"https?://", "--regex", "--action", "hold"])
    assert result.output.strip() == "Rule 2: hold /https?:///"
    bad = runner.invoke(args=["screening", "add", "(oops", "--regex", "--action", "flag"])
    assert bad.exit_code != 0
    assert "This is not a valid regular expression" in bad.output
    listed = runner.invoke(args=["screening", "list"]).output.splitlines()
    assert [line.split() for line in listed] == [
        ["1", "refuse", "knockoff", "no", "counterfeits"],
        ["2", "hold", "/https?:///"],
    ]
    assert runner.invoke(args=["screening", "remove", "1"]).exit_code == 0
    missing = runner.invoke(args=["screening", "remove", "1"])
    assert missing.exit_code != 0 and "There is no rule 1." in missing.output
    assert len(runner.invoke(args=["screening", "list"]).output.splitlines()) == 1


def test_the_queue_lists_held_and_flagged_texts(community, runner):
    runner.invoke(args=["screening", "add", "refund", "--action", "hold"])
    community.ask(title="Can I get a refund?")
    output = runner.invoke(args=["screening", "queue"]).output
    assert "question 1  held" in output and "Rule “refund”" in output
