"""What each dossier action accepts, loaded from the pages' forms with ``core.forms.load_form``
and by ``dossiers.api`` (a dossier, reopening, the transfer schedule); jobs it starts are read
through ``/api/v1/jobs``.

Types and bounds live here; the rules (a code is unique in its year, a hold needs a reason…)
stay in the services, which every caller goes through.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from edoc.core.params import MAX_FORM_INT, id_field


class DossierCreate(Schema):
    code = fields.String(load_default="", validate=validate.Length(max=32))
    title = fields.String(load_default="")
    # Blank: kept permanently (vĩnh viễn).
    retention_years = fields.Integer(
        load_default=None, validate=validate.Range(-MAX_FORM_INT, MAX_FORM_INT)
    )
    keeper_id = id_field(load_default=None)
    note = fields.String(load_default="")


class FileDocuments(Schema):
    """From the dossier page (the dossier in the path) or a document's page (chosen here)."""

    dossier_id = id_field(load_default=None)
    document_ids = fields.List(id_field(), load_default=list)
    next = fields.String(load_default=None)


class CloseDossier(Schema):
    page_count = fields.Integer(load_default=None, validate=validate.Range(0, MAX_FORM_INT))


class Reopen(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class LegalHold(Schema):
    hold = fields.Boolean(load_default=False, truthy={"1"}, falsy={"0"})
    reason = fields.String(load_default="")


class Disposal(Schema):
    decision = fields.String(load_default="")


class SelectedDossiers(Schema):
    """The dossiers ticked on the list page (export, transfer)."""

    dossier_ids = fields.List(id_field(), load_default=list)
