"""The site file: the packaged default carries the manual's numbers; mistakes are reported with file,
key and reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dialogs.site import SiteConfigError, load_site


def test_default_site_has_the_manuals_numbers() -> None:
    site = load_site()
    assert site.promises.complaint_feedback_hours == 24
    assert site.promises.large_repair_days == 3
    assert site.callbacks["complaint"].rate == 1.0 and site.callbacks["complaint"].window_end_days == 3
    assert site.callbacks["repair"].rate == 0.3
    assert site.callbacks["maintenance_works"].window_start_days == 30
    assert "1–20" in site.service_catalogue["floor_waxing"].price.zh
    assert {"tutor_referral", "nanny_referral", "taxi", "water_delivery"} <= set(site.service_catalogue)
    assert site.quiet_hours.start.hour == 21


def test_errors_name_the_file_key_and_reason(tmp_path: Path) -> None:
    data = yaml.safe_load(
        Path(__file__).resolve().parents[2].joinpath("dialogs/site_default.yaml").read_text()
    )
    data["timezone"] = "Mars/Olympus"
    data["repair_categories"]["plumbing"]["queue"] = "nowhere"
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SiteConfigError) as error:
        load_site(path)
    message = str(error.value)
    assert str(path) in message and "timezone" in message and "Mars/Olympus" in message


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(SiteConfigError, match="cannot read"):
        load_site(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed", encoding="utf-8")
    with pytest.raises(SiteConfigError, match="not valid YAML"):
        load_site(bad)
