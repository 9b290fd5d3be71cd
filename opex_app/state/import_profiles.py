"""Mapping profiles on the import page: save the editor's mapping as a profile, open the list of the
kind's profiles, rename one, delete one.

A substate of ImportState: it reads the page's vars (`kind`, `mapping_rows`, `profiles`, ...), and a
write to one of them (`applied_profile`, `_profile_mapping`, `mapping_error`, `profiles`) lands on the
session's ImportState instance, where the value lives (Reflex stores a field on the state class that
declares it; the client's lock covers the whole state tree). The list itself (`profiles`,
`_load_profiles`) stays on ImportState, whose own handlers reload it when the page opens or the kind
changes.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from opex_app.auth.permissions import Permission
from opex_app.db import transaction
from opex_app.services import mapping_profiles
from opex_app.services.errors import ServiceError
from opex_app.state.guard import current_principal, guarded
from opex_app.state.imports import ImportState


class ImportProfilesState(ImportState):
    profile_name: str = ""  # the name typed in the mapping editor to save its mapping as
    profiles_open: bool = False
    renaming_id: int = 0
    rename_text: str = ""
    deleting_id: int = 0
    deleting_name: str = ""

    @guarded(Permission.IMPORT)
    def set_profile_name(self, value: str) -> None:
        self.profile_name = value

    @guarded(Permission.IMPORT)
    def save_profile(self) -> Any:
        """Save the editor's mapping as a named profile of the kind, offered again for files like this one."""
        draft = self._checked_draft()
        if draft is None:
            return None
        try:
            with transaction() as session:
                saved = mapping_profiles.save_profile(
                    session, current_principal(), kind=self.kind, name=self.profile_name, mapping=draft
                )
        except ServiceError as exc:
            return rx.toast.error(str(exc), id="profile-save")
        if draft == self._mapping:
            self.applied_profile, self._profile_mapping = saved.name, dict(draft)
        self.profile_name = ""
        self._load_profiles()
        return rx.toast.success(f"Mapping profile '{saved.name}' saved", id="profile-save")

    @guarded(Permission.IMPORT)
    def toggle_profiles(self) -> None:
        self.profiles_open = not self.profiles_open
        if self.profiles_open:
            self._load_profiles()

    @guarded(Permission.IMPORT)
    def begin_rename(self, profile_id: str, name: str) -> None:
        self.renaming_id, self.rename_text = int(profile_id), name

    @guarded(Permission.IMPORT)
    def set_rename_text(self, value: str) -> None:
        self.rename_text = value

    @guarded(Permission.IMPORT)
    def cancel_rename(self) -> None:
        self.renaming_id, self.rename_text = 0, ""

    @guarded(Permission.IMPORT)
    def confirm_rename(self) -> Any:
        if not self.renaming_id:
            return None
        old = next((p["name"] for p in self.profiles if p["id"] == str(self.renaming_id)), "")
        try:
            with transaction() as session:
                renamed = mapping_profiles.rename_profile(
                    session, current_principal(), profile_id=self.renaming_id, new_name=self.rename_text
                )
        except ServiceError as exc:
            return rx.toast.error(str(exc), id="profile-rename")
        if old and self.applied_profile == old:
            self.applied_profile = renamed.name
        self.renaming_id, self.rename_text = 0, ""
        self._load_profiles()
        return rx.toast.success(f"Mapping profile renamed to '{renamed.name}'", id="profile-rename")

    @guarded(Permission.IMPORT)
    def ask_delete(self, profile_id: str, name: str) -> None:
        self.deleting_id, self.deleting_name = int(profile_id), name

    @guarded(Permission.IMPORT)
    def cancel_delete(self) -> None:
        self.deleting_id, self.deleting_name = 0, ""

    @guarded(Permission.IMPORT)
    def confirm_delete(self) -> Any:
        if not self.deleting_id:
            return None
        name = self.deleting_name
        try:
            with transaction() as session:
                mapping_profiles.delete_profile(session, current_principal(), profile_id=self.deleting_id)
        except ServiceError as exc:
            return rx.toast.error(str(exc), id="profile-delete")
        if self.applied_profile == name:  # the mapping stays in use; it is no longer a saved profile
            self.applied_profile, self._profile_mapping = "", {}
        self.deleting_id, self.deleting_name = 0, ""
        self._load_profiles()
        return rx.toast.success(f"Mapping profile '{name}' deleted", id="profile-delete")
