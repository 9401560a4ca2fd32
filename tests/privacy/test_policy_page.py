"""The policy page states the facts of the seed policies: one test per fact, named by its clause.

With profiles/selfie-studio.toml (seed 000, AnyPic) and profiles/photo-coach.toml
(seed 004, As Pretty As A Picture), configured with the vendors each seed names,
the rendered /privacy/ page must state what the seed document states. The page
marks each fact (data-fact), so these tests read facts, not wording. And the page
must not state what is not configured: a vendor without its key is not listed.
"""

from __future__ import annotations

import pytest
from django.test import Client

from darkroom.accounts.models import User
from tests.privacy.page_facts import PageFacts, read_facts, run_as_photo_coach, run_as_selfie_studio

# run_as_selfie_studio names a Supabase database for the policy to read; the test's connection is untouched.
pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")]


def _page(client: Client) -> PageFacts:
    response = client.get("/privacy/")
    assert response.status_code == 200
    return read_facts(response.content.decode())


@pytest.fixture
def anypic(client: Client, settings: object) -> PageFacts:
    run_as_selfie_studio(settings)
    return _page(client)


@pytest.fixture
def coach(client: Client, settings: object) -> PageFacts:
    run_as_photo_coach(settings)
    return _page(client)


def _use(page: PageFacts, party: str, feature: str) -> dict[str, str]:
    found = [use.attrs for use in page.all("use") if use.attrs["data-party"] == party and use.key == feature]
    assert len(found) == 1, f"{party} is not listed for {feature}: {[u.attrs for u in page.all('use')]}"
    return found[0]


def _kept(page: PageFacts, key: str) -> tuple[str, str]:
    period = page.by_key("retention", key).attrs
    return period["data-amount"], period["data-unit"]


# --- seed 000: AnyPic (profiles/selfie-studio.toml) --------------------------------------------
def test_000_intro_the_service_is_anypic(anypic: PageFacts) -> None:
    assert anypic.text("service") == "AnyPic"


def test_000_intro_it_is_operated_by_arthurs_toolbox(anypic: PageFacts) -> None:
    assert anypic.text("operator") == "Arthur's toolbox"


def test_000_intro_the_operator_is_an_individual_developer(anypic: PageFacts) -> None:
    assert anypic.text("operator-kind") == "an individual developer"


def test_000_1_the_phone_number_is_collected_for_sign_in(anypic: PageFacts) -> None:
    assert "phone" in anypic.keys("collected")
    assert anypic.keys("sign-in") == {"phone"}


def test_000_1_sms_codes_are_discarded_after_verification(anypic: PageFacts) -> None:
    assert "sign-in-codes" in anypic.keys("collected")
    assert _kept(anypic, "codes") == ("10", "minutes")


def test_000_1_uploaded_selfies_are_collected(anypic: PageFacts) -> None:
    assert "uploads" in anypic.keys("collected")


def test_000_1_generated_results_are_collected(anypic: PageFacts) -> None:
    assert "results" in anypic.keys("collected")


def test_000_1_order_records_are_collected(anypic: PageFacts) -> None:
    assert "payments" in anypic.keys("collected")


def test_000_1_card_numbers_are_not_stored(anypic: PageFacts) -> None:
    assert "no-card-numbers" in anypic.keys("commitment")


def test_000_1_usage_data_logs_device_type_and_browser(anypic: PageFacts) -> None:
    assert {"usage", "server-logs"} <= anypic.keys("collected")


def test_000_3_openai_generates_images_from_the_selfie_and_prompt(anypic: PageFacts) -> None:
    assert _use(anypic, "OpenAI", "generate")["data-after"] == ""
    assert anypic.by_key("third-party", "OpenAI").attrs["data-receives"] == "your photo|your scene prompt"


def test_000_3_replicate_instantid_is_the_fallback_when_openai_rejects(anypic: PageFacts) -> None:
    assert _use(anypic, "Replicate", "generate")["data-after"] == "OpenAI"


def test_000_3_kling_powers_image_to_video(anypic: PageFacts) -> None:
    assert _use(anypic, "Kling", "animate")


def test_000_3_stripe_processes_payments(anypic: PageFacts) -> None:
    assert _use(anypic, "Stripe", "payments")


def test_000_3_supabase_is_the_database(anypic: PageFacts) -> None:
    assert _use(anypic, "Supabase", "database")


def test_000_3_cloudflare_r2_stores_the_files(anypic: PageFacts) -> None:
    assert _use(anypic, "Cloudflare R2", "storage")


def test_000_3_vercel_hosts_the_service(anypic: PageFacts) -> None:
    assert _use(anypic, "Vercel", "hosting")


def test_000_3_alibaba_cloud_international_delivers_the_sms(anypic: PageFacts) -> None:
    assert _use(anypic, "Alibaba Cloud International", "sms")


def test_000_3_no_one_else_receives_data(anypic: PageFacts) -> None:
    named = {"OpenAI", "Replicate", "Kling", "Stripe", "Supabase", "Cloudflare R2", "Vercel"}
    assert anypic.keys("third-party") == named | {"Alibaba Cloud International"}


def test_000_4_servers_are_in_singapore(anypic: PageFacts) -> None:
    assert anypic.text("data-region") == "Singapore"


def test_000_4_selfies_are_kept_30_days_after_generation(anypic: PageFacts) -> None:
    assert _kept(anypic, "uploads") == ("30", "days")


def test_000_4_results_are_kept_until_the_user_deletes_them(anypic: PageFacts) -> None:
    assert _kept(anypic, "results")[0] == ""  # no period: until deleted


def test_000_4_order_records_are_kept_5_years(anypic: PageFacts) -> None:
    assert _kept(anypic, "orders") == ("5", "years")


def test_000_5_results_can_be_viewed_downloaded_and_deleted_at_any_time(anypic: PageFacts) -> None:
    assert anypic.by_key("right", "delete-content").attrs["data-url"] == "/photos/"


def test_000_5_the_account_and_all_its_data_can_be_deleted(anypic: PageFacts) -> None:
    assert "delete-account" in anypic.keys("right")


def test_000_5_data_collection_can_be_opted_out_of(anypic: PageFacts) -> None:
    assert "usage-opt-out" in anypic.keys("right")


def test_000_6_the_service_is_not_for_users_under_14(anypic: PageFacts) -> None:
    assert anypic.text("minimum-age") == "14"


def test_000_7_changes_are_announced_by_in_app_notice(anypic: PageFacts) -> None:
    assert "in-app notice" in anypic.keys("change-notice")


def test_000_8_privacy_questions_go_to_hello_at_anypic(anypic: PageFacts) -> None:
    assert anypic.text("contact-email") == "hello@anypic.app"


# --- seed 004: As Pretty As A Picture (profiles/photo-coach.toml) -------------------------------
def test_004_1_the_service_is_as_pretty_as_a_picture(coach: PageFacts) -> None:
    assert coach.text("service") == "As Pretty As A Picture"


def test_004_1_it_is_operated_by_kasmok_llc(coach: PageFacts) -> None:
    assert coach.text("operator") == "KasmoK LLC"


def test_004_1_the_service_is_at_asprettyasapicture_com(coach: PageFacts) -> None:
    assert coach.text("website") == "https://asprettyasapicture.com"


def test_004_2_name_email_and_password_are_collected(coach: PageFacts) -> None:
    assert {"name", "email", "password"} <= coach.keys("collected")


def test_004_2_google_profile_data_is_collected_for_google_sign_in(coach: PageFacts) -> None:
    assert "google" in coach.keys("collected")
    assert coach.keys("sign-in") == {"email", "google"}


def test_004_2_payments_go_through_stripe_without_card_numbers_stored(coach: PageFacts) -> None:
    assert _use(coach, "Stripe", "payments")
    assert "no-card-numbers" in coach.keys("commitment")


def test_004_2_uploaded_images_are_collected(coach: PageFacts) -> None:
    assert "uploads" in coach.keys("collected")


def test_004_2_usage_data_history_credit_transactions_and_feature_usage(coach: PageFacts) -> None:
    assert {"jobs", "payments", "usage"} <= coach.keys("collected")


def test_004_2_technical_data_ip_browser_device_from_server_logs(coach: PageFacts) -> None:
    assert {"server-logs", "sessions"} <= coach.keys("collected")


def test_004_4_the_free_tier_runs_on_self_hosted_models(coach: PageFacts) -> None:
    assert all(use.attrs["data-tiers"] == "pro" for use in coach.all("use") if use.key in {"enhance", "critique"})


def test_004_4_pro_images_go_to_replicate(coach: PageFacts) -> None:
    assert _use(coach, "Replicate", "enhance")["data-tiers"] == "pro"


def test_004_4_pro_images_go_to_anthropic(coach: PageFacts) -> None:
    assert _use(coach, "Anthropic", "critique")["data-tiers"] == "pro"


def test_004_5_ai_providers_receive_only_the_image(coach: PageFacts) -> None:
    for name in ("Replicate", "Anthropic"):
        assert coach.by_key("third-party", name).attrs["data-receives"] == "your photo"


def test_004_4_images_are_not_used_to_train_models(coach: PageFacts) -> None:
    assert "no-training" in coach.keys("commitment")


def test_004_4_images_are_stored_until_the_account_is_deleted(coach: PageFacts) -> None:
    assert (_kept(coach, "uploads")[0], _kept(coach, "results")[0]) == ("", "")


def test_004_5_personal_information_is_not_sold(coach: PageFacts) -> None:
    assert "no-sale" in coach.keys("commitment")


def test_004_5_aws_ses_delivers_email(coach: PageFacts) -> None:
    assert _use(coach, "AWS (Amazon SES)", "email")


def test_004_5_law_enforcement_only_if_required_by_law(coach: PageFacts) -> None:
    assert "disclosure-only-when-required-by-law" in coach.keys("commitment")


def test_004_5_no_one_else_receives_data(coach: PageFacts) -> None:
    assert coach.keys("third-party") == {"Replicate", "Anthropic", "Stripe", "AWS (Amazon SES)"}


def test_004_6_account_data_is_kept_while_the_account_is_active(coach: PageFacts) -> None:
    assert _kept(coach, "account")[0] == ""


def test_004_6_everything_is_deleted_within_30_days_of_account_deletion(coach: PageFacts) -> None:
    assert _kept(coach, "deletion") == ("30", "days")


def test_004_6_transaction_records_are_kept_up_to_7_years(coach: PageFacts) -> None:
    assert _kept(coach, "orders") == ("7", "years")


def test_004_7_only_essential_cookies_for_authentication_and_sessions(coach: PageFacts) -> None:
    cookies = [fact for fact in coach.all("browser") if fact.attrs["data-kind"] == "cookie"]
    assert {cookie.key for cookie in cookies} == {"sessionid", "csrftoken"}
    assert all(cookie.attrs["data-essential"] == "yes" for cookie in cookies)


def test_004_7_dark_mode_is_kept_in_local_storage(coach: PageFacts) -> None:
    assert coach.by_key("browser", "darkroom-theme").attrs["data-kind"] == "localStorage"


def test_004_8_data_can_be_accessed_in_account_settings(coach: PageFacts) -> None:
    assert coach.by_key("right", "access").attrs["data-url"]


def test_004_8_information_can_be_corrected(coach: PageFacts) -> None:
    assert coach.by_key("right", "correction").attrs["data-url"] == "/account/"


def test_004_8_the_account_and_all_data_can_be_deleted(coach: PageFacts) -> None:
    assert "delete-account" in coach.keys("right")


def test_004_8_data_can_be_exported(coach: PageFacts) -> None:
    assert "export" in coach.keys("right")


def test_004_9_connections_are_encrypted_with_tls(coach: PageFacts) -> None:
    assert coach.by_key("tls", "yes")


def test_004_9_passwords_are_hashed_with_bcrypt(coach: PageFacts) -> None:
    assert coach.keys("password-hasher") == {"bcrypt"}


def test_004_9_access_controls_protect_the_files(coach: PageFacts) -> None:
    assert coach.all("private-files")


def test_004_10_the_service_is_not_for_children_under_13(coach: PageFacts) -> None:
    assert coach.text("minimum-age") == "13"


def test_004_11_material_changes_are_notified_by_email(coach: PageFacts) -> None:
    assert "email" in coach.keys("change-notice")


def test_004_12_privacy_questions_go_to_privacy_at_asprettyasapicture(coach: PageFacts) -> None:
    assert coach.text("contact-email") == "privacy@asprettyasapicture.com"


# --- the page cannot lie -------------------------------------------------------------------------
def test_it_names_no_vendor_whose_key_is_not_set(client: Client, settings: object) -> None:
    from darkroom import profile

    settings.PROFILE = profile.load("selfie-studio")  # type: ignore[attr-defined]
    page = _page(client)
    assert page.keys("third-party") == {"Vercel"}, "only the host the profile names; no provider has a key"


def test_it_lists_a_provider_only_up_to_the_chains_local_end(client: Client, settings: object) -> None:
    from darkroom import profile

    coach = profile.load("photo-coach")
    chains = {"pro": {"critique": ["local", "anthropic"]}}
    settings.PROFILE = coach.model_copy(update={"providers": coach.providers.model_copy(update={"chains": chains})})  # type: ignore[attr-defined]
    settings.ANTHROPIC_API_KEY = "sk-ant-test"  # type: ignore[attr-defined]
    assert "Anthropic" not in _page(client).keys("third-party"), "the engine always answers first"


def test_the_cookies_it_lists_are_the_cookies_a_visit_sets(client: Client, alice: User) -> None:
    client.post("/accounts/login/", {"login": alice.email, "password": "correct horse battery staple"})
    client.get("/photos/")
    page = _page(client)
    listed = {fact.key for fact in page.all("browser") if fact.attrs["data-kind"] == "cookie"}
    assert set(client.cookies) <= listed


def test_every_kind_of_personal_data_in_the_inventory_is_on_the_page(client: Client) -> None:
    from darkroom.privacy.policy_data import ITEMS

    page = _page(client)  # the demo profile: every way in, every feature
    named = {item.key for item in ITEMS}
    unnamed = {key for key in page.keys("collected") if key not in named}
    assert not unnamed, f"personal data with no item of its own in privacy/policy_data.py: {unnamed}"
