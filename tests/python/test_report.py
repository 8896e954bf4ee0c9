"""`gradlab report RUN_DIR`: the self-contained HTML page of a run (src/cli/report.cpp).

Runs a tiny edge-of-stability config (synthetic data, a second), a quadratic_gd run and a small
lr sweep, writes their reports and checks the page: inline <svg> charts with a path per metric (loss, sharpness,
the dashed 2/η threshold with its value), the summary table and the config, and no script or
external resource. A folder that is missing, or holds no metrics.jsonl, fails with exit 2 and
one line naming it.
"""
import json
import os
import re
import unittest

from support import read_jsonl, run_cli, scratch_dir

EOS_CONFIG = {
    "kind": "edge_of_stability",
    "seed": 1,
    "dtype": "float64",
    "data": {"source": "synthetic", "generator": "gaussian_mixture", "n_train": 48, "n_test": 16,
             "num_classes": 3, "dim": 4},
    "model": {"type": "mlp", "widths": [12, 12], "activation": "tanh"},
    "loss": "mse",
    "optim": {"type": "gd", "lr": 0.1},
    "train": {"steps": 40, "log_every": 2},
    "probe": {"sharpness_every": 5, "top_k": 2, "lanczos_iters": 12},
}


def write(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f)
    return path


def path_d(html, key):
    """The d attribute of the <path data-key=KEY> element, or None."""
    m = re.search(r'<path data-key="%s" d="([^"]*)"' % re.escape(key), html)
    return m.group(1) if m else None


def path_tag(html, key):
    m = re.search(r'<path data-key="%s"[^>]*>' % re.escape(key), html)
    return m.group(0) if m else ""


class ReportTest(unittest.TestCase):
    def test_report_of_an_edge_of_stability_run(self):
        with scratch_dir() as d:
            out = os.path.join(d, "run")
            config = dict(EOS_CONFIG, probe=dict(EOS_CONFIG["probe"], average_window=5))
            run_cli("run", write(os.path.join(d, "c.json"), config), "--out", out, "--quiet")
            proc = run_cli("report", out)
            report = os.path.join(out, "report.html")
            self.assertEqual(proc.stdout.strip(), report)
            html = open(report, encoding="utf-8").read()
            self.assertTrue(html.startswith("<!DOCTYPE html>"))
            self.assertGreaterEqual(html.count("<svg"), 3)  # loss, sharpness, eigenvalues, ...
            rows = read_jsonl(os.path.join(out, "metrics.jsonl"))
            # One path point per logged loss value; the sharpness path has one per probe.
            loss_d = path_d(html, "loss")
            self.assertIsNotNone(loss_d)
            self.assertEqual(loss_d.count("M") + loss_d.count("L"),
                             sum(1 for r in rows if "loss" in r))
            sharp_d = path_d(html, "sharpness")
            self.assertIsNotNone(sharp_d)
            self.assertEqual(sharp_d.count("M") + sharp_d.count("L"),
                             sum(1 for r in rows if "sharpness" in r))
            # The 2/η line: dashed, labelled with its value (2/0.1 = 20).
            self.assertIn("stroke-dasharray", path_tag(html, "threshold"))
            self.assertIn("threshold 2/η = 20", html)
            # probe.average_window: λ₁ and the loss at the mean of the last 5 iterates, on
            # every probe but step 0's (no 5 iterates yet).
            avg_d = path_d(html, "sharpness_avg")
            self.assertIsNotNone(avg_d)
            probes_with_avg = sum(1 for r in rows if "sharpness_avg" in r)
            self.assertEqual(probes_with_avg, sum(1 for r in rows if "sharpness" in r) - 1)
            self.assertEqual(avg_d.count("M") + avg_d.count("L"), probes_with_avg)
            self.assertIsNotNone(path_d(html, "loss_avg"))
            self.assertIn("at the mean of the last 5 iterates", html)
            self.assertIsNotNone(path_d(html, "eigs.1"))  # top_k = 2
            self.assertIsNotNone(path_d(html, "test_acc"))
            self.assertIn("(log scale)", html)  # the loss axis
            # Summary figures and the resolved config are on the page.
            summary = json.load(open(os.path.join(out, "summary.json")))
            self.assertIn("<th>initial_sharpness</th>", html)
            self.assertIn("<th>status</th><td class=\"v\">completed</td>", html)
            self.assertIn("&quot;lanczos_iters&quot;: 12", html)
            self.assertIn("%.6g" % summary["final_loss"], html)
            # Self-contained: no script, no external resource.
            self.assertNotIn("<script", html)
            self.assertNotIn("http://", html.replace("http://www.w3.org/2000/svg", ""))
            self.assertNotIn("https://", html)

    def test_report_of_a_quadratic_run_draws_its_own_series(self):
        with scratch_dir() as d:
            cfg = {"kind": "quadratic_gd", "quadratic": {"eigenvalues": [1, 4], "x0": [1, 1]},
                   "optim": {"type": "gd", "lr": 0.55}, "train": {"steps": 400, "log_every": 1}}
            out = os.path.join(d, "q")
            run_cli("run", write(os.path.join(d, "q.json"), cfg), "--out", out, "--quiet")
            run_cli("report", out)
            html = open(os.path.join(out, "report.html"), encoding="utf-8").read()
            self.assertIn("status <span class=\"status\">diverged</span>", html)
            self.assertIn("exceeds 2/λ = 0.5", html)  # the divergence reason
            self.assertIsNotNone(path_d(html, "coords.0"))
            self.assertIsNotNone(path_d(html, "coords.1"))
            self.assertIsNotNone(path_d(html, "grad_norm"))
            self.assertIsNone(path_d(html, "test_acc"))  # only series that exist
            self.assertIn("threshold 2/η = 3.63636", html)

    def test_report_of_a_sweep_overlays_its_runs(self):
        with scratch_dir() as d:
            cfg = dict(EOS_CONFIG, sweep={"optim.lr": [0.05, 0.1]})
            out = os.path.join(d, "sw")
            run_cli("sweep", write(os.path.join(d, "s.json"), cfg), "--out", out, "--quiet")
            proc = run_cli("report", out)
            self.assertEqual(proc.stdout.strip(), os.path.join(out, "report.html"))
            html = open(os.path.join(out, "report.html"), encoding="utf-8").read()
            for lr, threshold in (("0.05", "40"), ("0.1", "20")):
                run_id = "optim.lr=" + lr
                self.assertIsNotNone(path_d(html, "loss:" + run_id))
                self.assertIsNotNone(path_d(html, "sharpness:" + run_id))
                # Each run's own 2/η, dashed, in the run's colour.
                tag = path_tag(html, "threshold:" + run_id)
                self.assertIn("stroke-dasharray", tag)
                color = re.search(r'stroke="([^"]+)"', path_tag(html, "sharpness:" + run_id))
                self.assertIn('stroke="%s"' % color.group(1), tag)
                self.assertIn("<th>%s</th>" % run_id, html)
                self.assertIn('<td class="v">%s</td>' % threshold, html)

    def test_missing_folder_or_metrics_fails_with_one_line(self):
        with scratch_dir() as d:
            missing = os.path.join(d, "no-such-run")
            proc = run_cli("report", missing, check=False)
            self.assertEqual(proc.returncode, 2)
            self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
            self.assertIn(missing, proc.stderr)
            self.assertIn("is not a folder", proc.stderr)

            empty = os.path.join(d, "empty")
            os.mkdir(empty)
            proc = run_cli("report", empty, check=False)
            self.assertEqual(proc.returncode, 2)
            self.assertEqual(proc.stderr.strip(),
                             f"gradlab report: {empty} has no metrics.jsonl (not a gradlab run "
                             "folder, nor a sweep folder with runs/<id>/metrics.jsonl)")
            self.assertFalse(os.path.exists(os.path.join(empty, "report.html")))

            proc = run_cli("report", check=False)
            self.assertEqual(proc.returncode, 2)
            self.assertIn("gradlab report RUN_DIR", proc.stderr)


if __name__ == "__main__":
    unittest.main()
