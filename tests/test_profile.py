from __future__ import annotations

from pathlib import Path

import pytest

from darkroom import profile


@pytest.mark.parametrize("name", ["demo", "selfie-studio", "photo-coach"])
def test_it_loads_every_shipped_profile(name: str) -> None:
    loaded = profile.load(name)
    assert loaded.slug == name


def test_it_holds_the_seed_facts() -> None:
    selfie, coach = profile.load("selfie-studio"), profile.load("photo-coach")
    assert (selfie.accounts.minimum_age, coach.accounts.minimum_age) == (14, 13)
    assert selfie.accounts.login_methods == ["phone"]
    assert set(coach.accounts.login_methods) == {"email", "google"}
    assert coach.accounts.password_hasher == "bcrypt"
    assert selfie.privacy.data_region == "Singapore"
    assert (selfie.privacy.retention.orders_years, coach.privacy.retention.orders_years) == (5, 7)
    assert selfie.privacy.retention.uploads_days_after_generation == 30
    assert coach.privacy.retention.account_deletion_days <= 30
    assert selfie.operator.contact_email == "hello@anypic.app"
    assert coach.operator.privacy_email == "privacy@asprettyasapicture.com"


def _write(tmp_path: Path, text: str) -> Path:
    source = (profile.PROFILES_DIR / "demo.toml").read_text()
    path = tmp_path / "custom.toml"
    path.write_text(text(source) if callable(text) else text)
    return path


def test_it_refuses_an_unknown_key_by_name(tmp_path: Path) -> None:
    path = _write(tmp_path, lambda s: s.replace("max_upload_mb = 25", "max_upload_mb = 25\nmax_uplaod_mb = 3"))
    with pytest.raises(profile.ProfileError, match=r"photos\.max_uplaod_mb: unknown key"):
        profile.load(str(path))


def test_it_refuses_a_missing_key_by_name(tmp_path: Path) -> None:
    path = _write(tmp_path, lambda s: s.replace("minimum_age = 13\n", ""))
    with pytest.raises(profile.ProfileError, match=r"accounts\.minimum_age: this key is required"):
        profile.load(str(path))


def test_it_refuses_a_wrong_value_by_name(tmp_path: Path) -> None:
    path = _write(tmp_path, lambda s: s.replace('password_hasher = "argon2"', 'password_hasher = "md5"'))
    with pytest.raises(profile.ProfileError, match=r"accounts\.password_hasher"):
        profile.load(str(path))


def test_it_explains_a_missing_file() -> None:
    with pytest.raises(profile.ProfileError, match="does not exist"):
        profile.load("no-such-profile")


def test_it_explains_broken_toml(tmp_path: Path) -> None:
    path = _write(tmp_path, "slug = \n")
    with pytest.raises(profile.ProfileError, match="not valid TOML"):
        profile.load(str(path))


def test_it_refuses_an_upscale_cap_for_one_tier_only(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        lambda s: s.replace(
            "upscale_x4_max_megapixels = { free = 0.25, pro = 1.0 }", "upscale_x4_max_megapixels = { pro = 1.0 }"
        ),
    )
    with pytest.raises(profile.ProfileError, match=r"engine\.upscale_x4_max_megapixels\.free"):
        profile.load(str(path))


def test_it_refuses_an_upscale_cap_whose_result_would_be_over_the_photo_limit(tmp_path: Path) -> None:
    path = _write(tmp_path, lambda s: s.replace("pro = 1.0 }", "pro = 4.0 }"))  # 4 MP × 16 = 64 MP > 50
    with pytest.raises(profile.ProfileError, match=r"lower the cap to at most 3\.125"):
        profile.load(str(path))
