"""Directory import (idempotent, policy-checked, all or nothing) and export."""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from sla.db import session_scope
from sla.directory import DirectoryError
from sla.directory_file import export_directory, import_directory, parse_directory
from sla.models import Contact
from tests.conftest import DEMO_DIRECTORY


def _demo() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(DEMO_DIRECTORY.read_text())  # type: ignore[no-any-return]


def test_import_is_idempotent_and_export_round_trips(engine: Engine) -> None:
    """A second import changes nothing; the export imports to the same directory."""
    with session_scope(engine) as session:
        first = import_directory(session, parse_directory(_demo()))
    with session_scope(engine) as session:
        again = import_directory(session, parse_directory(_demo()))
        exported = export_directory(session)
    assert first and again == []
    with session_scope(engine) as session:
        assert import_directory(session, parse_directory(exported)) == []
    assert {c["id"] for c in exported["customers"]} == {
        "acme",
        "stadtwerke",
        "scholengroep",
        "zorggroep",
        "gemeente",
    }


def test_changed_field_is_reported_as_an_update(engine: Engine) -> None:
    """Changing a contact's language shows up as one update."""
    data = _demo()
    with session_scope(engine) as session:
        import_directory(session, parse_directory(data))
    data["customers"][0]["contacts"][0]["language"] = "en"
    with session_scope(engine) as session:
        changes = import_directory(session, parse_directory(data))
    assert [str(c) for c in changes] == ["update contact acme/anna: language"]


def test_pluvo_fourth_incident_contact_is_refused_and_nothing_is_imported(engine: Engine) -> None:
    """Pluvo allows three; the fourth fails the whole import."""
    data = _demo()
    pluvo = next(c for c in data["customers"] if c["policy"] == "pluvo")
    for handle in ("hans", "ilse"):
        pluvo["contacts"].append({"handle": handle, "name": handle, "roles": ["kontaktperson"]})
    with pytest.raises(DirectoryError) as err, session_scope(engine) as session:
        import_directory(session, parse_directory(data))
    assert err.value.code == "too_many_contacts" and err.value.params["maximum"] == 3
    with Session(engine) as session:
        assert session.exec(select(Contact)).all() == []


def test_unknown_role_and_bad_fields_are_refused() -> None:
    """Roles a policy does not know fail the import; malformed entries are named."""
    with pytest.raises(ValueError, match=r"customers\.0\.policy"):
        parse_directory({"customers": [{"id": "x", "name": "X", "policy": "nope"}]})
    with pytest.raises(ValueError, match="language"):
        parse_directory(
            {"staff": [{"handle": "s", "name": "S", "roles": ["support"], "language": "fr"}]}
        )


def test_unknown_role_is_a_directory_error(engine: Engine) -> None:
    """A role unknown to the customer's policy names the known ones."""
    data = {
        "customers": [
            {
                "id": "x",
                "name": "X",
                "policy": "plek",
                "contacts": [{"handle": "a", "name": "A", "roles": ["ceo"]}],
            }
        ]
    }
    with pytest.raises(DirectoryError) as err, session_scope(engine) as session:
        import_directory(session, parse_directory(data))
    assert err.value.code == "unknown_role" and "beheerder" in err.value.params["known"]


def test_unknown_tier_is_refused(engine: Engine) -> None:
    """A tier the customer's policy does not have fails the import."""
    data = {"customers": [{"id": "x", "name": "X", "policy": "perplex", "tier": "gold"}]}
    with pytest.raises(DirectoryError) as err, session_scope(engine) as session:
        import_directory(session, parse_directory(data))
    assert err.value.code == "unknown_tier" and "first_class" in err.value.params["known"]


def test_a_support_chat_may_have_a_language_of_its_own(engine: Engine) -> None:
    """An English-speaking team's chat: kept through import and export; others stay without."""
    data = _demo()
    data["support_chats"].append({"platform": "slack", "chat_id": "CTEAM", "language": "en"})
    with session_scope(engine) as session:
        import_directory(session, parse_directory(data))
        exported = export_directory(session)
    chats = {c["chat_id"]: c for c in exported["support_chats"]}
    assert chats["CTEAM"]["language"] == "en" and "language" not in chats["support"]
    with session_scope(engine) as session:
        assert import_directory(session, parse_directory(exported)) == []
    data["support_chats"][-1]["language"] = "fr"
    with pytest.raises(ValueError, match="language 'fr'"):
        parse_directory(data)
