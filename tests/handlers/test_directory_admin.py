"""Staff administrators managing contact persons from chat, under the policy's rules."""

from __future__ import annotations

from tests.chat import ChatDriver


def test_admin_lists_adds_and_removes_contacts(chat: ChatDriver) -> None:
    """An admin can list, add and remove; the new contact can then report."""
    listing = chat.say("support", "/contacts acme", chat="support")[0].text
    assert "anna" in listing and "bram" in listing
    added = chat.say("support", "/contacts acme add kees beheerder Kees Vos", chat="support")
    assert "Kees Vos" in added[0].text
    assert chat.say("kees", "/incident")[-1].prompt is not None
    chat.say("kees", "/cancel")
    chat.say("support", "/contacts acme remove kees", chat="support")
    assert "kees" not in chat.say("support", "/contacts acme", chat="support")[0].text


def test_pluvo_refuses_a_fourth_incident_contact(chat: ChatDriver) -> None:
    """Pluvo 6.2: at most three contact persons may report incidents per customer."""
    chat.say("support", "/contacts stadtwerke add hans kontaktperson Hans Roth", chat="support")
    refused = chat.say(
        "support", "/contacts stadtwerke add ilse kontaktperson Ilse Kurz", chat="support"
    )
    assert "3" in refused[0].text
    listing = chat.say("support", "/contacts stadtwerke", chat="support")[0].text
    assert "hans" in listing and "ilse" not in listing


def test_pluvo_refuses_a_second_escalation_contact_in_words(chat: ChatDriver) -> None:
    """Pluvo 9.1: one escalation contact; the refusal names the role and says "1 contact
    person", in the reader's language."""
    [refused] = chat.say(
        "support", "/contacts stadtwerke add jan eskalationskontakt Jan Berg", chat="support"
    )
    assert refused.text.startswith(
        "Stadtwerke Nordheim already has 1 contact person with role Escalation contact,"
    ), refused.text


def test_unknown_role_is_refused(chat: ChatDriver) -> None:
    """A role the policy does not know is refused with the known ones."""
    reply = chat.say("support", "/contacts acme add x ceo X", chat="support")[0].text
    assert "ceo" in reply and "beheerder" in reply


def test_non_admin_cannot_change_contacts(chat: ChatDriver) -> None:
    """Contacts and non-admin staff are refused."""
    before = chat.say("support", "/contacts acme", chat="support")[0].text
    chat.say("anna", "/contacts acme add y beheerder Y")
    chat.say("lisa", "/contacts acme add y beheerder Y", chat="support")
    assert chat.say("support", "/contacts acme", chat="support")[0].text == before


def test_removed_reporter_stays_in_the_audit_trail(chat: ChatDriver) -> None:
    """Removing a contact who reported keeps their incidents; they can no longer file."""
    chat.report("anna", "1", "1", "Plek plat", "ja")
    chat.say("support", "/contacts acme remove anna", chat="support")
    assert chat.incident("PLEK-1").reporter_id is not None
    refusal = chat.say("anna", "/incident")
    assert len(refusal) == 1 and refusal[0].prompt is None and refusal[0].ephemeral
    assert "anna" not in chat.say("support", "/contacts acme", chat="support")[0].text
