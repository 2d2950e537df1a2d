"""The balancing command: list, describe, run (with --set, --out, --plot), errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from closed_forms import is_pdf, png_size, security_dilemma

from dynamics import load
from dynamics.cli import main


def test_list_and_describe(capsys):
    assert main(["list"]) == 0
    assert "richardson-stable" in capsys.readouterr().out
    assert main(["describe", "richardson-stable"]) == 0
    out = capsys.readouterr().out
    assert "reaction" in out and "[0, inf]" in out and "\\frac{d{m}_{i}}{dt}" in out


def test_run_with_overrides_writes_results(tmp_path, capsys):
    out = tmp_path / "run.npz"
    assert main(["run", "richardson-stable", "--set", "reaction.Red=0.2", "--t-end", "200",
                 "--out", str(out),
                 "--plot", str(tmp_path / "run.pdf")]) == 0
    res = load(out)
    assert res.provenance["parameters"]["reaction"] == [0.15, 0.2]
    # the overridden equilibrium: x* = (beta g + k h)/(alpha beta - k l) with k=0.15, l=0.2
    alpha = beta = 0.3
    k, l, g = 0.15, 0.2, 0.006
    star = (beta * g + k * g) / (alpha * beta - k * l)
    assert res["m", "Blue"][-1] == pytest.approx(star, rel=1e-5)
    # the suffix chooses the format: a PDF, and no PNG beside it
    assert is_pdf(tmp_path / "run.pdf") and not (tmp_path / "run.png").exists()


def test_run_a_parameter_file_to_csv(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('[model]\nstates = ["A", "B", "C"]\nmechanisms = ["ceiling"]\n'
                    '[time]\nspan = [0, 10]\noutput = 11\n[parameters]\nreaction = 0.3\n')
    assert main(["run", str(path), "--out", str(tmp_path / "mine.csv")]) == 0
    lines = (tmp_path / "mine.csv").read_text().splitlines()
    assert lines[0] == "time,variable,state,partner,value"
    assert len(lines) > 11 * 3


@pytest.mark.parametrize(("args", "message"), [
    (["run", "richardson-stable", "--set", "reactoin=1"], "did you mean 'reaction'"),
    (["run", "richardson-stable", "--set", "reaction.Rde=1"], "did you mean 'Red'"),
    (["run", "richardson-stable", "--set", "fatigue=-0.1"], "outside its bounds [0, inf]"),
    (["run", "richardson-stable", "--set", "fatigue=abc"], "is not a number"),
    (["run", "richardson-stabel"], "did you mean 'richardson-stable'"),
])
def test_bad_input_exits_2_with_the_culprit(args, message, capsys):
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_python_dash_m_is_the_same_command():
    done = subprocess.run([sys.executable, "-m", "dynamics", "list"], capture_output=True,
                          text=True, check=True)
    assert "richardson-stable" in done.stdout


def test_equations_command(capsys):
    assert main(["equations", "--mechanisms", "ceiling"]) == 0
    out = capsys.readouterr().out
    assert "\\max" in out and "{\\beta}_{i}" in out
    assert np.char.count(out, "\\frac{d").item() == 1  # only spending is dynamic


def test_equilibria_command_lists_the_scenarios_equilibrium(capsys):
    """security-dilemma at D = 0.2: one stable equilibrium at 73 % of the 0.4 ceiling."""
    assert main(["equilibria", "security-dilemma", "--json"]) == 0
    import json

    found = json.loads(capsys.readouterr().out)
    assert len(found) == 1 and found[0]["stable"]
    assert found[0]["state"]["m[North]"] == pytest.approx(security_dilemma(0.2), rel=1e-9)


def test_continue_command_finds_the_threshold(tmp_path, capsys):
    """From the disarmed equilibrium (grievance 0) at D = 1 down to D = 0.5: the branch
    point at D* = 0.8642."""
    assert main(["continue", "security-dilemma", "--param", "distinguishability",
                 "--range", "1:0.5", "--set", "grievance=0", "--out",
                 str(tmp_path / "branch.csv")]) == 0
    out = capsys.readouterr().out
    d_star = 1 - (0.2 / 0.9 - 0.1) / (1 - 0.1)  # 1 - (alpha/k - o)/(1 - o)
    found = float(out.split("branch point at distinguishability = ")[1].split()[0])
    assert found == pytest.approx(d_star, abs=1e-6)
    assert (tmp_path / "branch.csv").read_text().startswith("distinguishability,m[North]")


@pytest.mark.parametrize(("args", "message"), [
    (["continue", "security-dilemma", "--param", "distinguishability", "--range", "0:2"],
     "leaves its bounds [0, 1]"),
    (["continue", "security-dilemma", "--param", "distinguishabilty", "--range", "0:1"],
     "did you mean 'distinguishability'"),
    (["continue", "security-dilemma", "--param", "growth", "--range", "0:0.1"],
     "has no effect"),
    (["continue", "security-dilemma", "--param", "reaction", "--range", "0-1"],
     "--range expects A:B"),
])
def test_continue_bad_input(args, message, capsys):
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_sweep_command_writes_one_row_per_grid_point(tmp_path, capsys):
    out = tmp_path / "sweep.csv"
    assert main(["sweep", "security-dilemma", "--param", "distinguishability=0:1:3",
                 "--param", "reaction=0.5:1:2", "--metric", "escalation_rate",
                 "--out", str(out), "--checkpoint", str(tmp_path / "sweep.npz")]) == 0
    rows = out.read_text().splitlines()
    assert rows[0] == "distinguishability,reaction,escalation_rate,status,message"
    assert len(rows) == 7 and all(row.endswith(",success,") for row in rows[1:])
    assert "security-dilemma: 6 runs; 0 did not succeed" in capsys.readouterr().out
    import json

    provenance = json.loads(Path(f"{out}.json").read_text())
    assert provenance["scenario"] == "security-dilemma" and provenance["members"] == 6
    assert provenance["command"].startswith("balancing ") and "scipy" in provenance


def test_sensitivity_command_writes_indices(tmp_path, capsys):
    import json

    out = tmp_path / "indices.json"
    assert main(["sensitivity", "hegemonic-rise", "--param", "coercion=0:0.08",
                 "--param", "growth.Riser=0.03:0.07", "--metric", "peak_share", "--n", "16",
                 "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["problem"]["names"] == ["coercion", "growth.Riser"]
    assert len(data["first"]) == 2 and data["evaluations"] == 16 * 4
    assert data["version"] and data["scenario"] == "hegemonic-rise"
    # the same study in chunks on two processes, with a checkpoint, gives the same indices
    pooled = tmp_path / "pooled.json"
    assert main(["sensitivity", "hegemonic-rise", "--param", "coercion=0:0.08",
                 "--param", "growth.Riser=0.03:0.07", "--metric", "peak_share", "--n", "16",
                 "--workers", "2", "--chunk", "16", "--checkpoint",
                 str(tmp_path / "study.npz"), "--out", str(pooled)]) == 0
    again = json.loads(pooled.read_text())
    assert again["first"] == data["first"] and again["total"] == data["total"]


def test_sensitivity_command_reports_groups(tmp_path, capsys):
    """--group makes the growth and capacity of the Riser one factor beside coercion."""
    import json

    out = tmp_path / "groups.json"
    assert main(["sensitivity", "hegemonic-rise", "--param", "coercion=0:0.08",
                 "--param", "growth.Riser=0.03:0.07", "--param", "capacity.Riser=2:3",
                 "--group", "economy=growth.Riser,capacity.Riser", "--metric",
                 "peak_share", "--n", "8", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["problem"]["groups"] == ["coercion", "economy", "economy"]
    assert len(data["first"]) == 2 and data["evaluations"] == 8 * 4
    assert "economy" in capsys.readouterr().out


def test_morris_command_writes_screening_and_its_figure(tmp_path, capsys):
    pytest.importorskip("SALib")
    import json

    out, plot = tmp_path / "morris.json", tmp_path / "morris"
    assert main(["sensitivity", "hegemonic-rise", "--method", "morris", "--param",
                 "coercion=0:0.08", "--param", "growth.Riser=0.03:0.07", "--metric",
                 "peak_share", "--n", "4", "--out", str(out), "--plot", str(plot)]) == 0
    data = json.loads(out.read_text())
    assert data["evaluations"] == 4 * 3 and len(data["mu_star"]) == 2
    assert is_pdf(tmp_path / "morris.pdf")
    assert min(png_size(tmp_path / "morris.png")) > 300  # a readable figure, not a stub
    assert "peak_share in hegemonic-rise: Morris screening" in capsys.readouterr().out


def test_local_sensitivity_command(tmp_path, capsys):
    """The command prints and writes one elasticity per input (their values are checked
    against Richardson's closed form in test_sensitivity)."""
    import json

    out = tmp_path / "local.json"
    assert main(["sensitivity", "richardson-stable", "--method", "local", "--param",
                 "reaction", "--param", "fatigue", "--metric", "escalation_rate", "--out",
                 str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["names"] == ["reaction", "fatigue"] and len(data["elasticity"]) == 2
    assert "escalation_rate in richardson-stable: Elasticities" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "message"), [
    (["sweep", "security-dilemma", "--param", "distinguishability=0:1"], "expects P=A:B:N"),
    (["sensitivity", "security-dilemma", "--param", "reaction=0.5:1", "--param",
      "fatigue=0.1:0.3", "--metric", "peak_shar"], "did you mean 'peak_share'"),
    (["sensitivity", "security-dilemma", "--method", "local", "--param", "reaction",
      "--param", "fatigu", "--metric", "peak_share"], "did you mean 'fatigue'"),
    (["sensitivity", "security-dilemma", "--param", "reaction=0.5:1", "--group",
      "g=reactoin", "--metric", "peak_share"], "unknown --param input 'reactoin'"),
    (["sensitivity", "security-dilemma", "--method", "local", "--param", "reaction=0:1",
      "--metric", "peak_share"], "takes inputs without ranges"),
    (["sensitivity", "security-dilemma", "--method", "local", "--param", "reaction",
      "--metric", "peak_shar"], "did you mean 'peak_share'"),
    (["sensitivity", "security-dilemma", "--param", "reaction=0.5:1", "--metric",
      "peak_share", "--scheduler", "tcp://127.0.0.1:9", "--timeout", "1"],
     "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'"),
    # what robustness refused, compare accepted (one check now, where both draw members)
    (["compare", "unipolar-decay", "--event", "x@10:reaction*=2", "--members", "4",
      "--spread", "-0.5"], "spread must be in (0, 1), got -0.5"),
    (["discover", "hegemonic-rise", "--param", "coercion=0:0.1", "--outcome",
      "peak_share>0.5", "--threshold", "2", "--n", "8"],
     "PRIM's threshold must be in (0, 1], got 2.0"),
    (["discover", "hegemonic-rise", "--param", "coercion=0:0.1", "--outcome",
      "peak_share>0.5", "--threshold", "nan", "--n", "8"],
     "PRIM's threshold must be in (0, 1], got nan"),
])
def test_sweep_and_sensitivity_bad_input(args, message, capsys):
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_robustness_write_refuses_a_run_under_overrides(tmp_path, capsys):
    """--write with --set recorded the shares of a scenario the file does not hold; it is
    refused before any run, and the file is left as it was."""
    path = tmp_path / "mine.toml"
    path.write_text('[scenario]\nname = "mine"\nextends = "hegemonic-rise"\n')
    before = path.read_text()
    assert main(["robustness", str(path), "--members", "8", "--set", "coercion=0.05",
                 "--write"]) == 2
    assert "--write records the scenario file's own robustness" in capsys.readouterr().err
    assert path.read_text() == before


@pytest.mark.parametrize("timeout", ["-1", "0", "inf", "soon"])
def test_a_schedulers_timeout_must_be_a_positive_number_of_seconds(timeout, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["sweep", "security-dilemma", "--param", "reaction=0.5:1:3", "--metric",
              "peak_share", "--scheduler", "tcp://127.0.0.1:9", "--timeout", timeout])
    assert stopped.value.code == 2
    assert "argument --timeout: expected a" in capsys.readouterr().err


def test_the_command_says_its_version(capsys):
    from dynamics import __version__

    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out.strip() == f"balancing {__version__}"


def test_identical_states_are_named_once_in_a_runs_legend():
    """hegemonic-rise: West, Centre and East have the same values and the same paths; the
    legend says so in one entry instead of three that show one line."""
    import matplotlib.pyplot as plt

    from dynamics.scenarios import load_scenario
    from dynamics.views.plotting import plot_run

    figure = plot_run(load_scenario("hegemonic-rise").run())
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    plt.close(figure)
    assert labels == ["Riser", "West = Centre = East (identical)"]
