"""Reporting through the handlers: refusal, the questionnaire, the proposal and filing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from handlers.types import Action
from sla.i18n import translator
from sla.models import Incident
from tests.chat import ChatDriver, origin, to


def test_unregistered_person_is_refused_and_told_how_to_register(chat: ChatDriver) -> None:
    """Someone unknown gets a refusal in their language, with how to get registered."""
    replies = chat.say("stranger", "/incident", locale="de-DE")
    t = translator("de")
    assert len(replies) == 1
    assert replies[0].lang == "de"
    assert (
        t._("Sorry, only registered contact persons can report incidents here.") in replies[0].text
    )
    assert chat.say("stranger", "hello") != []  # no draft was left behind: a plain hint


def test_klik_user_without_filing_role_is_pointed_to_email(chat: ChatDriver) -> None:
    """Under Klik a registered 'gebruiker' may not file and is told to use e-mail (7.2)."""
    [reply] = chat.say("lotte", "/incident")
    assert reply.text.splitlines()[0] == (
        "Je bent bij Scholengroep Rijnland geregistreerd als Gebruiker, en met die rol kun je "
        "hier geen incidenten melden."
    )
    assert "e-mail" in reply.text.lower()
    assert "registr" not in reply.text.split("\n", 1)[1]  # not told to get registered


def test_a_registered_role_that_may_not_file_is_told_whom_to_ask(chat: ChatDriver) -> None:
    """Pluvo's escalation contact may not file (6.1, 9.1) and gets no "register" advice."""
    [reply] = chat.say("udo", "/incident")
    first, hint = reply.text.splitlines()
    assert first == (
        "Sie sind bei Stadtwerke Nordheim als Eskalationskontakt registriert und können mit "
        "dieser Rolle hier keine Störungen melden."
    )
    assert "www.pluvo.nl" in hint  # the contract's own advice (Pluvo 6.1)


def test_plek_user_report_is_forwarded_to_the_beheerders(chat: ChatDriver) -> None:
    """Plek 3.1: a question from a non-Beheerder is passed on to the customer's Beheerders."""
    chat.say("bram", "/incident")
    replies = chat.say("bram", "Ik kan niet inloggen")
    forwarded = to(replies, "anna")
    assert len(forwarded) == 1 and "Ik kan niet inloggen" in forwarded[0].text
    assert forwarded[0].text.startswith("Bram Visser ")  # the directory's name, on any platform
    assert "Anna de Vries" in origin(replies)[0].text


def test_plek_forward_with_text_on_the_command(chat: ChatDriver) -> None:
    """Text typed after /incident is forwarded at once."""
    replies = chat.say("bram", "/incident Waar vind ik de handleiding?")
    assert "Waar vind ik de handleiding?" in to(replies, "anna")[0].text


def test_full_plek_report_files_an_incident_with_deadlines(chat: ChatDriver) -> None:
    """A Beheerder answers the questions; the bot proposes P1 and files PLEK-1 with its deadline."""
    chat.say("anna", "/incident")
    chat.say("anna", "1")  # a disruption
    confirm = chat.say("anna", "1")  # completely unavailable
    assert confirm[0].prompt is not None and confirm[0].prompt.step == "field:description"
    confirm = chat.say("anna", "Niemand kan inloggen")
    facts = dict(confirm[0].facts)
    assert any(value.startswith("P1") for value in facts.values())
    replies = chat.say("anna", "ja")
    assert "filed" in origin(replies)[0].tags
    incident = chat.incident("PLEK-1")
    assert incident.priority == "P1" and incident.proposed_priority == "P1"
    assert incident.fields == {"description": "Niemand kan inloggen"}
    assert incident.response_due is None
    assert incident.resolution_due == datetime(2026, 11, 24, 13, 0, tzinfo=UTC)  # 14:00 local
    card = to(replies, "support")
    assert len(card) == 1 and card[0].key == "card:PLEK-1:console:support"
    assert Action.ACK in [b.action for b in card[0].buttons]
    assert [e.kind for e in chat.events("PLEK-1")] == ["reported"]


def test_invalid_answer_is_asked_again_with_a_hint(chat: ChatDriver) -> None:
    """An answer out of range repeats the question; nothing is lost."""
    chat.say("anna", "/incident")
    again = chat.say("anna", "7")
    assert again[0].prompt is not None and again[0].prompt.step == "request_type"
    assert "3" in again[0].text  # the hint names the range
    nxt = chat.say("anna", "1")
    assert nxt[0].prompt is not None and nxt[0].prompt.step == "impact"


def test_empty_field_is_asked_again(chat: ChatDriver) -> None:
    """A required free-text field cannot be left empty."""
    chat.report("anna", "1", "2")
    again = chat.say("anna", "   ")
    assert again[0].prompt is not None and again[0].prompt.step == "field:description"


def test_answers_by_label_and_buttons_work_too(chat: ChatDriver) -> None:
    """An answer can be given by its label, or by pressing its button."""
    chat.say("anna", "/incident")
    chat.say("anna", "Een verstoring of probleem")
    replies = chat.press("anna", Action.ANSWER, "partial", chat="anna")
    assert replies[0].prompt is not None and replies[0].prompt.step == "field:description"


def test_cancel_leaves_at_any_step_and_files_nothing(chat: ChatDriver) -> None:
    """/cancel drops the draft; a later answer is not taken as part of a report."""
    chat.report("anna", "1", "1")
    replies = chat.say("anna", "/cancel")
    assert replies[0].text == translator("nl")._("Cancelled. Nothing was filed.")
    assert chat.say("anna", "/cancel")[0].text == translator("nl")._("There is nothing to cancel.")
    assert chat.press("anna", Action.CONFIRM, chat="anna")[0].alert


def test_text_after_incident_command_prefills_the_description(chat: ChatDriver) -> None:
    """``/incident Login is down`` uses that text as the description."""
    chat.say("anna", "/incident Login is down")
    chat.say("anna", "1")
    confirm = chat.say("anna", "1")
    assert confirm[0].prompt is not None and confirm[0].prompt.step == "confirm"
    chat.say("anna", "yes")
    assert chat.incident("PLEK-1").fields == {"description": "Login is down"}


def test_request_type_with_own_targets(chat: ChatDriver) -> None:
    """A Plek complaint is filed as a request type with its own 1- and 2-workday targets."""
    replies = chat.report("anna", "3", "Niet tevreden", "ja")
    incident = chat.incident("PLEK-1")
    assert incident.request_type == "complaint" and incident.priority is None
    assert incident.response_due == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert incident.resolution_due == datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    # The support card calls it a complaint, not an incident (6.1 treats complaints apart).
    [card] = [r for r in replies if "card" in r.tags]
    assert card.text == "Nieuwe melding PLEK-1 (Klacht)"


def test_perplex_first_class_may_file_prio1(chat: ChatDriver) -> None:
    """Perplex's questionnaire proposes Prio1 for a First Class customer's production stop."""
    confirm = chat.report("petra", "1", "1", "Productie ligt stil")
    assert any(v.startswith("Prio1") for v in dict(confirm[0].facts).values())


def test_pluvo_report_carries_its_three_fields(chat: ChatDriver) -> None:
    """Pluvo 6.4: description, what was investigated and the customer's own assessment."""
    chat.say("karl", "/incident")
    steps = []
    replies = chat.say("karl", "1")
    while replies[0].prompt is not None and replies[0].prompt.step != "confirm":
        steps.append(replies[0].prompt.step)
        answer = "1" if not replies[0].prompt.step.startswith("field:") else "Text"
        replies = chat.say("karl", answer)
    assert {"field:description", "field:investigation", "field:own_priority"} <= set(steps)
    chat.say("karl", "ja")
    assert chat.incident("PLUVO-1").fields.keys() == {
        "description",
        "investigation",
        "own_priority",
    }


def test_restart_mid_questionnaire_resumes(chat: ChatDriver) -> None:
    """The draft is in the database: a new router on the same database continues it."""
    chat.report("anna", "1")
    resumed = ChatDriver(chat.engine, chat.now)
    replies = resumed.say("anna", "2")
    assert replies[0].prompt is not None and replies[0].prompt.step == "field:description"


def test_perplex_customer_without_tier_gets_prio2_not_prio1(chat: ChatDriver) -> None:
    """Prio1 is First Class only: a customer with no tier recorded is proposed Prio2."""
    from sqlmodel import Session

    from sla.models import Customer

    with Session(chat.engine) as session:
        customer = session.get(Customer, "zorggroep")
        assert customer is not None
        customer.tier = None
        session.add(customer)
        session.commit()
    confirm = chat.report("petra", "1", "1", "Productie ligt stil")
    assert any(v.startswith("Prio2") for v in dict(confirm[0].facts).values())


def test_a_complete_form_files_the_incident_at_once(chat: ChatDriver) -> None:
    """A whole questionnaire in one event (a Slack modal) files like the conversation does."""
    from handlers.types import ChatRef, FormSubmit, UserRef

    user, where = UserRef("console", "anna", "Anna"), ChatRef("console", "anna")
    values = {"request_type": "1", "impact": "1", "description": "Niemand kan inloggen"}
    replies = chat.router.handle(FormSubmit("intake", values, user, where))
    assert "filed" in origin(replies)[0].tags
    incident = chat.incident("PLEK-1")
    assert incident.priority == "P1" and incident.fields == {"description": "Niemand kan inloggen"}
    assert len(to(replies, "support")) == 1
    assert chat.say("anna", "ja")[0].prompt is None  # no draft was left behind


def test_an_incomplete_form_asks_for_what_is_missing(chat: ChatDriver) -> None:
    """A form without its required field keeps the answers and asks for the field."""
    from handlers.types import ChatRef, FormSubmit, UserRef

    user, where = UserRef("console", "anna", "Anna"), ChatRef("console", "anna")
    values = {"request_type": "1", "impact": "1"}
    replies = chat.router.handle(FormSubmit("intake", values, user, where))
    assert replies[0].prompt is not None and replies[0].prompt.step == "field:description"
    replies = chat.say("anna", "Niemand kan inloggen")
    assert replies[0].prompt is not None and replies[0].prompt.step == "confirm"


def test_group_chatter_is_not_taken_as_an_answer(chat: ChatDriver) -> None:
    """With a report open in private, what the person says in a group is left alone."""
    chat.say("anna", "/incident")
    assert chat.say("anna", "2", chat="acme-team") == []
    replies = chat.say("anna", "1")
    assert replies[0].prompt is not None and replies[0].prompt.step == "impact"


def test_the_card_reads_in_one_language_whatever_the_reporters_client(chat: ChatDriver) -> None:
    """Karl (German record) files from a client set to English: his own answers are English,
    the support card, headline included, is German as the rest of it (the customer's)."""
    for text in ("/incident", "1", "1", "Beschreibung", "Untersucht", "P1", "ja"):
        replies = chat.say("karl", text, locale="en")
    [card] = [r for r in replies if "card" in r.tags]
    assert card.text == "Neue Störung PLUVO-1"
    assert card.lang == "de"


def test_an_answer_to_the_check_that_is_neither_is_asked_again_with_a_hint(
    chat: ChatDriver,
) -> None:
    """At "File it now?" an answer that is no choice gets the check again, with the hint."""
    [again] = chat.report("anna", "1", "1", "Plat", "3")
    assert again.prompt is not None and again.prompt.step == "confirm"
    assert again.prompt.hint


def test_a_report_left_for_a_day_is_dropped_not_continued(chat: ChatDriver) -> None:
    """Anna starts a report and leaves it half done. A day later her message is no answer to
    its next question: the draft is dropped, she is told so, and nothing is filed."""
    chat.say("anna", "/incident")
    chat.say("anna", "1")
    chat.advance(hours=24, minutes=1)
    replies = chat.say("anna", "🔥")
    assert [r.text for r in replies] == [
        "Je onafgemaakte melding is na een dag zonder antwoord vervallen.",
        "Typ /incident om een incident te melden, of /help.",
    ]
    again = chat.say("anna", "1")
    assert [r.text for r in again] == ["Typ /incident om een incident te melden, of /help."]
    with Session(chat.engine) as session:
        assert session.exec(select(Incident)).first() is None


def test_a_report_within_the_day_goes_on(chat: ChatDriver) -> None:
    """Within 24 hours the report continues where it was left."""
    chat.say("anna", "/incident")
    chat.say("anna", "1")
    chat.advance(hours=23)
    chat.say("anna", "1")
    chat.say("anna", "Niemand kan inloggen")
    chat.say("anna", "ja")
    assert chat.incident("PLEK-1").priority == "P1"
