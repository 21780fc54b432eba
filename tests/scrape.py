"""Reading ``/metrics`` as Prometheus does: through the test client with the operator's
token, parsed by prometheus_client's own parser."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

TOKEN = "operator-metrics-token"


class Scrape:
    def __init__(self, text: str) -> None:
        self.text = text
        self.samples = {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    def value(self, name: str, **labels: str) -> float:
        """A sample's value; 0 for a labelled counter not recorded yet."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)


def scrape(app: Flask, client: FlaskClient | None = None) -> Scrape:
    app.config["METRICS_TOKEN"] = TOKEN
    response = (client or app.test_client()).get(
        "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 200, response.status_code
    assert response.content_type.startswith("text/plain; version=")
    return Scrape(response.get_data(as_text=True))
