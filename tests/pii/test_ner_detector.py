import json

from starcoder_pii.encoder import build_ner_model, load_encoder_tokenizer, save_hf
from starcoder_pii.ner.detector import NerConfig, NerDetector, read_window_config
from starcoder_pii.ner.windows import LABELS, WindowConfig


def test_detector_runs_batched_windows_over_long_files(micro_encoder_dir, tmp_path):
    model = build_ner_model(micro_encoder_dir, list(LABELS))
    directory = save_hf(model, load_encoder_tokenizer(micro_encoder_dir), tmp_path / "ner")
    (directory / "pii_task.json").write_text(json.dumps({"window": 64, "stride": 16}))
    assert read_window_config(directory) == WindowConfig(window=64, stride=16)
    detector = NerDetector(
        directory, NerConfig(windows=read_window_config(directory), batch_size=3)
    )
    texts = ["password = 'hunter22'\n" * 40, "x", ""]
    batched = detector.detect_batch(texts, ["a.py", "b.py", "c.py"])
    assert len(batched) == 3 and batched[2] == []
    assert [detector(t, "a.py") for t in texts] == batched  # batching changes nothing
    for text, spans in zip(texts, batched, strict=True):
        assert all(text[s.start : s.end] == s.value for s in spans)
        assert all(not s.value[0].isspace() and s.value[0] not in "'\"" for s in spans)
