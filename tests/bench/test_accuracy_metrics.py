"""Tests of the accuracy benchmark's metric code on tiny hand-made examples."""

from __future__ import annotations

import json
import math

from bench.accuracy import (
    GoldEntity,
    Sample,
    Tally,
    conll_to_sample,
    evaluate,
    f_beta,
    load_own,
    load_synth,
    merge_spans,
    score_sample,
    split_synth,
)


def entity_texts(sample: Sample) -> list[tuple[str, str]]:
    return [(sample.text[e.start : e.end], e.entity_type) for e in sample.entities]


def test_an_entity_counts_only_when_every_word_token_is_covered():
    text = "Call Jan de Vries now"
    sample = Sample(text, (GoldEntity(5, 17, "PERSON"),))
    tally = Tally()
    score_sample(sample, [(5, 8), (12, 17)], tally)  # "de" is left readable
    assert tally.recall() == 0.0
    tally = Tally()
    score_sample(sample, [(5, 8), (9, 11), (12, 17)], tally)  # findings of any split
    assert tally.recall() == 1.0


def test_a_partly_covered_token_does_not_protect_but_counts_as_redacted():
    text = "mail jansmit"
    sample = Sample(text, (GoldEntity(5, 12, "PERSON"),))
    tally = Tally()
    score_sample(sample, [(5, 8)], tally)
    assert tally.recall() == 0.0
    assert (tally.redacted_tokens, tally.redacted_tokens_in_gold) == (1, 1)


def test_precision_counts_redacted_tokens_inside_any_gold_span():
    text = "Ann met Bob in Paris today"
    sample = Sample(
        text,
        (GoldEntity(0, 3, "PERSON"), GoldEntity(8, 11, "PERSON"), GoldEntity(15, 20, "GPE")),
    )
    tally = Tally()
    # Ann (gold), Paris (gold but not a direct identifier), today (not gold).
    score_sample(sample, [(0, 3), (15, 20), (21, 26)], tally)
    assert tally.precision() == 2 / 3
    assert tally.recall() == 0.5  # Ann protected, Bob not; GPE not counted for recall
    assert tally.recall("PERSON") == 0.5


def test_nothing_redacted_gives_undefined_precision_and_zero_recall():
    sample = Sample("Ann", (GoldEntity(0, 3, "PERSON"),))
    tally = Tally()
    score_sample(sample, [], tally)
    assert tally.recall() == 0.0
    assert math.isnan(tally.precision())


def test_f2_weighs_recall_four_times_precision():
    assert f_beta(1.0, 1.0, 2.0) == 1.0
    assert f_beta(0.5, 1.0, 2.0) == 5 * 0.5 / (4 * 0.5 + 1)
    assert f_beta(0.0, 0.0, 2.0) == 0.0


def test_merge_spans_unions_overlaps_and_drops_empty_spans():
    assert merge_spans([(5, 8), (0, 3), (2, 4), (8, 9), (7, 7)]) == [(0, 4), (5, 9)]


def test_conll_mentions_are_glued_and_offsets_kept():
    tokens = [
        ("RT", "O"),
        ("@", "B-PER"),
        ("jan_dev", "B-PER"),
        (":", "O"),
        ("Mira", "B-PER"),
        ("Kowalczyk", "I-PER"),
        ("in", "O"),
        ("New", "B-LOC"),
        ("York", "I-LOC"),
    ]
    sample = conll_to_sample(tokens)
    assert sample.text == "RT @jan_dev : Mira Kowalczyk in New York"
    assert entity_texts(sample) == [
        ("@jan_dev", "SOCIAL_HANDLE"),  # a gold person written as a handle scores apart
        ("Mira Kowalczyk", "PERSON"),
        ("New York", "LOC"),
    ]


def test_conll_untagged_at_sign_takes_the_name_tag():
    sample = conll_to_sample([("hi", "O"), ("@", "O"), ("piet", "B-PER")])
    assert sample.text == "hi @piet"
    assert entity_texts(sample) == [("@piet", "SOCIAL_HANDLE")]


def test_load_synth_reads_offsets_and_types(tmp_path):
    path = tmp_path / "synth.json"
    path.write_text(
        json.dumps(
            [
                {
                    "full_text": "I am Ann Lee",
                    "spans": [
                        {
                            "entity_type": "PERSON",
                            "entity_value": "Ann Lee",
                            "start_position": 5,
                            "end_position": 12,
                        },
                    ],
                }
            ]
        ),
        encoding="utf-8",
    )
    [sample] = load_synth(path)
    assert entity_texts(sample) == [("Ann Lee", "PERSON")]


def test_evaluate_runs_an_analyzer_over_all_samples():
    samples = [
        Sample("Ann", (GoldEntity(0, 3, "PERSON"),)),
        Sample("call 0612345678", (GoldEntity(5, 15, "PHONE_NUMBER"),)),
    ]
    tally = evaluate(samples, lambda text, language: [(0, 3)] if text == "Ann" else [])
    assert tally.texts == 2
    assert tally.recall() == 0.5
    assert tally.as_dict()["per_type"]["PHONE_NUMBER"] == {
        "entities": 1,
        "protected": 0,
        "recall": 0.0,
    }


def test_pii_free_texts_with_any_finding_are_false_alarms():
    tally = Tally()
    score_sample(Sample("Windows 11 is out", (), pii_free=True), [(0, 7)], tally)
    score_sample(Sample("Gate 5 please", (), pii_free=True), [], tally)
    assert tally.false_alarm_rate() == 0.5


def test_precision_outside_handles_leaves_handle_tokens_out():
    text = "@mira_k met Tom"
    sample = Sample(text, (GoldEntity(12, 15, "PERSON"),))
    tally = Tally()
    score_sample(sample, [(0, 7), (12, 15)], tally)
    assert tally.precision() == 0.5  # the handle is not gold in this sample
    assert tally.name_precision() == 1.0


def test_synth_split_is_by_template_fixed_and_disjoint(tmp_path):
    records = [{"full_text": f"text {i}", "spans": [], "template_id": i % 10} for i in range(100)]
    path = tmp_path / "synth.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    first, second = split_synth(path), split_synth(path)
    assert [s.text for s in first["dev"]] == [s.text for s in second["dev"]]
    dev_templates = {int(s.text.split()[1]) % 10 for s in first["dev"]}
    heldout_templates = {int(s.text.split()[1]) % 10 for s in first["heldout"]}
    assert dev_templates and heldout_templates and not dev_templates & heldout_templates


def test_own_corpus_loads_parts_languages_and_pii_free_flags(tmp_path):
    path = tmp_path / "own.jsonl"
    rows = [
        {
            "text": "bel Ria",
            "lang": "nl",
            "part": "dev",
            "pii_free": False,
            "spans": [{"type": "PERSON", "start": 4, "end": 7}],
            "origin": "hand",
        },
        {
            "text": "Gate 5",
            "lang": "en",
            "part": "heldout",
            "pii_free": True,
            "spans": [],
            "origin": "hand",
        },
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    [dev] = load_own(path, "dev")
    [heldout] = load_own(path, "heldout")
    assert (dev.language, entity_texts(dev)) == ("nl", [("Ria", "PERSON")])
    assert heldout.pii_free and not heldout.entities


def test_texts_without_direct_identifiers_count_stray_words_only():
    tally = Tally()
    # Only a place is labelled: redacting it is no stray finding, redacting "Monday" is.
    place = Sample("Rain in Leeds on Monday", (GoldEntity(8, 13, "GPE"),), no_direct=True)
    score_sample(place, [(8, 13)], tally)
    score_sample(place, [(8, 13), (17, 23)], tally)
    # A PII-free text counts in both rates; a text with a person in neither.
    score_sample(Sample("Gate 5 please", (), pii_free=True), [(0, 4)], tally)
    score_sample(Sample("Ann", (GoldEntity(0, 3, "PERSON"),), no_direct=False), [(0, 3)], tally)
    assert (tally.no_direct_texts, tally.no_direct_with_stray_finding) == (3, 2)
    assert (tally.pii_free_texts, tally.pii_free_with_finding) == (1, 1)


def test_synth_and_conll_mark_texts_without_direct_identifiers(tmp_path):
    records = [
        {
            "full_text": "Visit Oslo",
            "spans": [
                {"entity_type": "GPE", "start_position": 6, "end_position": 10, "entity_value": ""}
            ],
            "template_id": 1,
        }
    ]
    path = tmp_path / "synth.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    [sample] = load_synth(path)
    assert sample.without_direct_identifier() and not sample.pii_free
    tweet = conll_to_sample([("Sunny", "O"), ("Leeds", "B-LOC")])
    assert tweet.without_direct_identifier() and not tweet.pii_free
    mention = conll_to_sample([("hi", "O"), ("@", "O"), ("kim", "O")])
    assert not mention.without_direct_identifier()


def test_error_lists_are_for_tuning_sets_only():
    from bench.accuracy import is_tuning_set

    assert all(
        is_tuning_set(name)
        for name in ("synth-dev", "own-en-dev", "own-nl-dev", "btc-train", "wnut17-train")
    )
    assert not any(
        is_tuning_set(name) for name in ("synth-heldout", "own-en-heldout", "btc-dev", "wnut17-dev")
    )


def test_error_report_counts_alarm_types_and_missed_gold_types():
    from bench.accuracy import error_report

    samples = [
        Sample("Gate 5 please", (), pii_free=True),
        Sample("mail Ann", (GoldEntity(5, 8, "PERSON"),)),
    ]
    report = error_report(
        samples,
        lambda text, language: [("ORDER_NUMBER", 0, 6, "R")] if text.startswith("Gate") else [],
        1,
    )
    assert "1  ORDER_NUMBER (R)" in report and "1  PERSON" in report
