from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from edoc.users.models import CLEARANCE_LABELS, ROLE_LABELS


class LoginForm(FlaskForm):
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired()])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Mật khẩu hiện tại"), validators=[DataRequired()])
    new_password = PasswordField(_l("Mật khẩu mới"), validators=[DataRequired(), Length(min=8)])
    confirm = PasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("Hai lần nhập mật khẩu mới không khớp.")),
        ],
    )


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class UserForm(FlaskForm):
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(), Length(max=64)])
    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(), Length(max=255)])
    title = StringField(_l("Chức vụ"), validators=[Optional(), Length(max=255)])
    email = StringField(_l("Thư điện tử"), validators=[Optional(), Email(), Length(max=255)])
    unit_id = SelectField(_l("Đơn vị"), coerce=int)
    roles = MultiCheckboxField(
        _l("Vai trò"), choices=[(role.value, label) for role, label in ROLE_LABELS.items()]
    )
    clearance = SelectField(
        _l("Mức được tiếp cận văn bản mật"),
        coerce=int,
        choices=[(int(level), label) for level, label in CLEARANCE_LABELS.items()],
    )
    password = PasswordField(_l("Mật khẩu"), validators=[Optional(), Length(min=8)])
    active = BooleanField(_l("Đang hoạt động"), default=True)
    unlock = BooleanField(_l("Mở khóa tài khoản"))


class UnitForm(FlaskForm):
    code = StringField(_l("Mã đơn vị"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("Tên đơn vị"), validators=[DataRequired(), Length(max=255)])
    parent_id = SelectField(_l("Đơn vị cấp trên"), coerce=int)
