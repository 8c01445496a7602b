"""Stock Presidio behind a bare Flask app: the baseline the HTTP load benchmark compares with.

Served the same way as ours (gunicorn, sync workers, one engine per worker), on the same spaCy
model, offline:

    .venv/bin/python -m gunicorn -w 2 -b 127.0.0.1:8001 'bench.stock_server:create_app()'

`POST /redact {"text"}` analyzes and anonymizes one text with Presidio's defaults (score
threshold 0.4); `POST /redact/batch {"items": [{"id", "text"}]}` does the same per item, through
Presidio's `BatchAnalyzerEngine`. Both answer JSON like ours: the redacted text and the findings.
"""

from __future__ import annotations

from flask import Flask, jsonify, request

from bench.accuracy import SCORE_THRESHOLD, STOCK_MODEL_CONFIG, _offline_tldextract


def create_app() -> Flask:
    """Build the stock app with its engines (once per gunicorn worker)."""
    _offline_tldextract()
    from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_anonymizer import AnonymizerEngine

    nlp_engine = NlpEngineProvider(nlp_configuration=STOCK_MODEL_CONFIG).create_engine()
    analyzer = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])
    batch_analyzer = BatchAnalyzerEngine(analyzer_engine=analyzer)
    anonymizer = AnonymizerEngine()
    app = Flask(__name__)

    def findings(results) -> list[dict]:
        return [
            {"entity_type": r.entity_type, "start": r.start, "end": r.end, "score": r.score}
            for r in results
        ]

    @app.post("/redact")
    def redact():
        text = request.get_json()["text"]
        results = analyzer.analyze(text, language="en", score_threshold=SCORE_THRESHOLD)
        redacted = anonymizer.anonymize(text=text, analyzer_results=results)
        return jsonify({"text": redacted.text, "findings": findings(results)})

    @app.post("/redact/batch")
    def redact_batch():
        items = request.get_json()["items"]
        texts = [item["text"] for item in items]
        analyzed = batch_analyzer.analyze_iterator(
            texts, language="en", score_threshold=SCORE_THRESHOLD, batch_size=32
        )
        out = []
        for item, text, results in zip(items, texts, analyzed, strict=True):
            redacted = anonymizer.anonymize(text=text, analyzer_results=results)
            out.append({"id": item["id"], "text": redacted.text, "findings": findings(results)})
        return jsonify({"items": out})

    @app.get("/health")
    def health():
        return jsonify({"status": "ok"})

    return app
