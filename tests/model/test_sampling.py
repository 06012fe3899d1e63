"""The data order: a pure function of the seed and the step, weighted by source."""

import numpy as np
import pytest
from starcoder_model.training.data import language_probabilities, language_weights_table
from starcoder_model.training.sampling import SequenceSampler, evaluation_indices


def test_each_epoch_is_a_permutation_and_reproducible():
    sampler = SequenceSampler({"a": 6, "b": 4}, seed=3)
    first = sampler.positions(0, 10)
    assert sorted(first.tolist()) == list(range(10))
    assert not np.array_equal(first, sampler.positions(10, 10))  # the next epoch reshuffles
    again = SequenceSampler({"a": 6, "b": 4}, seed=3)
    assert np.array_equal(again.positions(0, 25), sampler.positions(0, 25))
    assert not np.array_equal(SequenceSampler({"a": 6, "b": 4}, seed=4).positions(0, 10), first)


def test_the_global_batch_does_not_depend_on_how_it_is_split_over_workers():
    sampler = SequenceSampler({"a": 100}, seed=0)

    def global_batch(step, world, micro, accumulation):
        parts = [
            sampler.micro_batch(step, a, r, world, micro, accumulation)[0]
            for a in range(accumulation)
            for r in range(world)
        ]
        return sorted(np.concatenate(parts).tolist())

    one_worker = global_batch(step=5, world=1, micro=4, accumulation=4)
    assert one_worker == global_batch(step=5, world=2, micro=4, accumulation=2)
    assert one_worker == global_batch(step=5, world=4, micro=2, accumulation=2)
    assert len(set(one_worker)) == 16


def test_weights_set_each_sources_share_of_the_draws():
    sizes = {"code": 900, "issues": 100}  # issues: indices 900..999
    sampler = SequenceSampler(sizes, seed=0, weights={"code": 1.0, "issues": 1.0})
    drawn = sampler.positions(0, 20_000)
    share = np.mean(drawn >= 900)
    assert share == pytest.approx(0.5, abs=0.02)  # equal weights: half the draws, not 10%


def test_bad_weights_are_clear_errors():
    with pytest.raises(ValueError, match="do not have: \\['commits'\\]"):
        SequenceSampler({"code": 5}, weights={"commits": 1.0})
    with pytest.raises(ValueError, match="weight 0"):
        SequenceSampler({"code": 5}, weights={"code": 0.0})
    with pytest.raises(ValueError, match="no training sequences"):
        SequenceSampler({"code": 0})


def test_evaluation_indices_are_fixed_and_split_evenly():
    parts = [evaluation_indices(100, 8, rank, 2) for rank in range(2)]
    assert [len(p) for p in parts] == [4, 4]
    assert sorted(np.concatenate(parts).tolist()) == [0, 12, 25, 37, 50, 62, 75, 87]
    assert evaluation_indices(3, 64, 0, 1).tolist() == [0, 1, 2]
    assert [len(evaluation_indices(7, 7, r, 2)) for r in range(2)] == [3, 3]
    assert [len(evaluation_indices(1, 8, r, 2)) for r in range(2)] == [1, 1]


def test_language_weights_set_each_languages_share_of_the_draws():
    # rows 0..899 python (code 0), 900..989 c (code 1), 990..999 go (code 2)
    rows = np.repeat(np.array([0, 1, 2], np.uint16), [900, 90, 10])
    weights = {"python": 1.0, "c": 1.0, "rust": 5.0}  # go unnamed: never drawn
    p = language_probabilities(rows, ["python", "c", "go"], weights)
    assert p[:900].sum() == pytest.approx(0.5) and p[900:990].sum() == pytest.approx(0.5)
    assert p[990:].sum() == 0.0
    drawn = SequenceSampler({"local": 1000}, seed=0, probabilities=p).positions(0, 20_000)
    assert np.mean(drawn < 900) == pytest.approx(0.5, abs=0.02)  # not 90%
    assert np.mean((drawn >= 900) & (drawn < 990)) == pytest.approx(0.5, abs=0.02)
    assert not (drawn >= 990).any()


def test_language_weights_that_match_nothing_or_clash_are_clear_errors(tmp_path):
    rows = np.zeros(10, np.uint16)
    with pytest.raises(ValueError, match=r"no weight to any language .*\['python'\]"):
        language_probabilities(rows, ["python"], {"c": 1.0})
    with pytest.raises(ValueError, match="not both"):
        SequenceSampler({"local": 10}, weights={"local": 1.0}, probabilities=np.full(10, 0.1))
    table = tmp_path / "weights.json"
    table.write_text('{"python": 2, "c": 0.5}')
    assert language_weights_table(str(table)) == {"python": 2.0, "c": 0.5}
    table.write_text('{"python": -1}')
    with pytest.raises(ValueError, match="language -> weight >= 0"):
        language_weights_table(str(table))
    with pytest.raises(ValueError, match="neither a table nor a JSON file"):
        language_weights_table("starcoder-table-1")


def test_micro_batch_epochs_follow_the_stream_position():
    sampler = SequenceSampler({"a": 10}, seed=0)
    # step 2 of a 4-sequence global batch starts at position 8: epochs 0, 0, 1, 1
    assert sampler.micro_batch(2, 0, 0, 1, 4, 1)[1].tolist() == [0, 0, 1, 1]
    assert sampler.micro_batch(0, 1, 1, 2, 2, 2)[1].tolist() == [0, 0]
