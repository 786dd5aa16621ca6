"""订阅: the subscribe form (/subscribe/search?<search>, /subscribe/match?<profile>), the
subscriber's manage page (/subscriptions/<token>: confirm, test, frequency, pause,
unsubscribe) and the staff page (/staff/subscriptions: list, pause, resume, delete, the
delivery log).

No account: the manage page's token is the key, so its pages are never cached nor
referred. The form's e-mail confirmation shows no manage link (that would confirm the
address without its mailbox); a webhook proves itself by its test message.
"""
from __future__ import annotations

import datetime as dt
import time

from flask import (Blueprint, abort, flash, redirect, render_template, request,
                   url_for)
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import Length

from policy_search import jobs
from policy_search.domain.channels import Sender
from policy_search.domain.notify import send_test, subscribe
from policy_search.domain.review_queue import record_admin_action
from policy_search.schedule import ScheduleError, next_run, parse_schedule
from policy_search.domain.subscriptions import (CHANNELS, FREQUENCIES, MAX_NAME_CHARS, PAUSED,
                                         PENDING, SIGNED_CHANNELS, STATE_NAMES, WEBHOOK_EXAMPLES,
                                         SubscriptionError, check_frequency, check_name,
                                         describe_query)
from web.app import services
from web.auth import client_address, csrf, require_role
from web.match import profile_query, read_profile
from web.searching import index_usable, parse_state, run_search

bp = Blueprint("subscriptions", __name__)
staff_bp = Blueprint("staff_subscriptions", __name__, url_prefix="/staff/subscriptions")
require_role(staff_bp, "staff")

RATE_WINDOW = 3600
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                   "X-Robots-Tag": "noindex, nofollow"}
PURPOSE_NAMES = {"digest": "推送", "test": "测试消息", "confirm": "确认邮件"}


class SubscribeForm(FlaskForm):
    # channel and frequency are checked by the use case (one message for every client)
    channel = StringField("推送方式", default="wecom")
    address = StringField("地址", validators=[Length(max=500)])
    secret = PasswordField("签名密钥（可选）", validators=[Length(max=200)])
    frequency = StringField("推送频率", default="day")
    name = StringField("名称（可选）", validators=[Length(max=MAX_NAME_CHARS)])



def make_sender() -> Sender:
    return Sender(services().settings)


def email_enabled() -> bool:
    settings = services().settings
    return bool(settings.smtp_host and settings.mail_from)


# --- the subscribe form ---------------------------------------------------------------

def subscribed_query(kind: str) -> tuple[str, str | None]:
    """The canonical query string of what the page would subscribe to, and the address
    of its results on the site (None: nothing to subscribe to yet)."""
    if kind == "search":
        state = parse_state()
        query = state.query_string(sort="relevance", page=1, size=state.default_size)
        return query, url_for("public.search_page") + (f"?{query}" if query else "")
    profile, _notes = read_profile(request.args)
    query = profile_query(profile)
    return query, (url_for("match.match_page") + f"?{query}") if query else None


@bp.route("/subscribe/<kind>", methods=["GET", "POST"])
def subscribe_page(kind: str):
    if kind not in ("search", "match"):
        abort(404)
    query, back = subscribed_query(kind)
    form = SubscribeForm()
    context = dict(kind=kind, query=query, back=back, form=form, channels=CHANNELS,
                   frequencies=FREQUENCIES,
                   description=describe_query(kind, query), email_enabled=email_enabled(),
                   examples=WEBHOOK_EXAMPLES, signed_channels=SIGNED_CHANNELS,
                   current=current_count(kind, query))
    if kind == "match" and not query:
        return render_template("subscribe.html", missing_profile=True, **context)
    if request.method == "GET" or not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("subscribe.html", **context), status
    settings = services().settings
    if not services().store.subscriptions.admit_subscribe_request(
            client_address(), time.time(), window=RATE_WINDOW,
            limit=int(settings.subscribe_max_per_hour)):
        return render_template("subscribe.html", error="同一网络的订阅请求太多，请一小时后再试。",
                               **context), 429
    try:
        created = subscribe(services().store, settings, make_sender(), kind=kind, query=query,
                            channel=form.channel.data, address=form.address.data or "",
                            secret=form.secret.data or "", frequency=form.frequency.data,
                            name=form.name.data or "", created_by=f"网站:{client_address()}")
    except SubscriptionError as exc:
        return render_template("subscribe.html", error=str(exc), **context), 400
    return render_template("subscribed.html", created=created,
                           subscription=created.subscription, back=back), 201, PRIVATE_HEADERS


def current_count(kind: str, query: str) -> int | None:
    """How many policies the search finds now (they are the starting point, not sent)."""
    if kind != "search" or not index_usable():
        return None
    return run_search(parse_state(), size=1, highlight=False, facets=False).total


# --- the subscriber's manage page ----------------------------------------------------------

def subscription_of(token: str):
    subscription = services().store.subscriptions.by_token(token)
    if subscription is None:
        abort(404)
    return subscription


@bp.get("/subscriptions/<token>")
def manage_page(token: str):
    subscription = subscription_of(token)
    return render_template(
        "subscription.html", subscription=subscription, frequencies=FREQUENCIES,
        counts=services().store.subscriptions.policy_counts(subscription.id),
        results=results_path(subscription),
        max_name=MAX_NAME_CHARS), 200, PRIVATE_HEADERS


def results_path(subscription) -> str:
    if subscription.kind == "match":
        return url_for("match.match_page") + f"?{subscription.query}"
    return url_for("public.search_page") + (f"?{subscription.query}" if subscription.query else "")


def back_to(token: str, message: str, category: str = "info"):
    flash(message, category)
    return redirect(url_for("subscriptions.manage_page", token=token), 303)


@bp.post("/subscriptions/<token>/confirm")
def confirm(token: str):
    subscription = subscription_of(token)
    if subscription.state != PENDING or subscription.channel != "email":
        return back_to(token, "该订阅无需确认。")
    services().store.subscriptions.activate(subscription.id)
    return back_to(token, "订阅已确认：有新政策时将按时推送到您的邮箱。")


@bp.post("/subscriptions/<token>/test")
def retest(token: str):
    subscription = subscription_of(token)
    if not subscription.is_webhook:
        abort(404)
    result = send_test(services().store, services().settings, make_sender(), subscription)
    if result.ok:
        return back_to(token, "测试消息已发送成功" + ("，订阅已生效。" if subscription.state == PENDING else "。"))
    return back_to(token, f"测试消息发送失败：{result.error}", "error")


@bp.post("/subscriptions/<token>/settings")
def change_settings(token: str):
    subscription = subscription_of(token)
    try:
        frequency = check_frequency(request.form.get("frequency", subscription.frequency))
        name = check_name(request.form.get("name", subscription.name))
    except SubscriptionError as exc:
        return back_to(token, str(exc), "error")
    services().store.subscriptions.update(subscription.id, frequency=frequency, name=name)
    return back_to(token, "已保存。")


@bp.post("/subscriptions/<token>/pause")
def pause(token: str):
    subscription = subscription_of(token)
    services().store.subscriptions.pause(subscription.id, "subscriber")
    return back_to(token, "已暂停推送，可随时恢复。")


@bp.post("/subscriptions/<token>/resume")
def resume(token: str):
    subscription = subscription_of(token)
    if subscription.state != PAUSED or subscription.pause_reason == "staff":
        return back_to(token, "该订阅由工作人员暂停，暂不能自行恢复。" if subscription.pause_reason == "staff"
                       else "该订阅没有暂停。", "error")
    services().store.subscriptions.resume(subscription.id)
    return back_to(token, "已恢复推送。")


@bp.post("/subscriptions/<token>/unsubscribe")
def unsubscribe(token: str):
    subscription = subscription_of(token)
    services().store.subscriptions.delete(subscription.id)
    return render_template("unsubscribed.html", subscription=subscription), 200, PRIVATE_HEADERS


@bp.post("/subscriptions/<token>/one-click")
@csrf.exempt
def one_click(token: str):
    """RFC 8058: a mail client ends the subscription with one POST (the token is the key)."""
    subscription = subscription_of(token)
    if request.form.get("List-Unsubscribe") != "One-Click":
        abort(400)
    services().store.subscriptions.delete(subscription.id)
    return "已退订\n", 200, {"Content-Type": "text/plain; charset=utf-8", **PRIVATE_HEADERS}


# --- staff ---------------------------------------------------------------------------------

def staff_audit(action: str, subscription, detail=None) -> None:
    record_admin_action(services().store, action, f"subscription:{subscription.id}",
                        current_user.username, detail)


@staff_bp.get("/")
def staff_list():
    store = services().store
    state = request.args.get("state", "")
    failing = request.args.get("failing") == "1"
    found = store.subscriptions.list(state if state in STATE_NAMES else None, failing=failing)
    return render_template(
        "staff/subscriptions.html", subscriptions=found, counts=store.subscriptions.counts(),
        state=state, failing=failing, state_names=STATE_NAMES, setup=delivery_setup(),
        policy_counts={s.id: store.subscriptions.policy_counts(s.id) for s in found}, results=results_path)


def delivery_setup() -> dict:
    """What the staff page says about how delivery is configured."""
    settings = services().settings
    schedule, schedule_error, next_slot = None, None, None
    try:
        schedule = parse_schedule(settings.notify_schedule, settings.schedule_timezone)
        if schedule:
            next_slot = next_run(schedule, dt.datetime.now(dt.timezone.utc)).strftime("%Y-%m-%d %H:%M")
    except ScheduleError as exc:
        schedule_error = str(exc)
    return {"base_url": settings.public_base_url, "email": email_enabled(),
            "schedule": settings.notify_schedule, "schedule_error": schedule_error,
            "next_slot": next_slot, "allowed_hosts": settings.webhook_allowed_hosts}


@staff_bp.get("/log")
def staff_log():
    store = services().store
    subscription_id = request.args.get("subscription", type=int)
    subscription = store.subscriptions.get(subscription_id) if subscription_id else None
    if subscription_id and subscription is None:
        abort(404)
    return render_template("staff/subscription_log.html", subscription=subscription,
                           entries=store.subscriptions.delivery_log(subscription_id, limit=300),
                           purposes=PURPOSE_NAMES, channels=CHANNELS)


def staff_subscription(subscription_id: int):
    subscription = services().store.subscriptions.get(subscription_id)
    if subscription is None:
        abort(404)
    return subscription


def back_to_list(message: str, category: str = "info"):
    flash(message, category)
    return redirect(request.form.get("next") if request.form.get("next", "").startswith(
        "/staff/subscriptions") else url_for("staff_subscriptions.staff_list"), 303)


@staff_bp.post("/round")
def staff_round():
    """Queue a delivery round now (a worker runs it, as after a crawl)."""
    store = services().store
    try:
        job_id = jobs.enqueue(store, "notify", {}, current_user.username)
    except jobs.JobRefused as exc:
        return back_to_list(str(exc), "error")
    record_admin_action(store, "job_start", f"job:{job_id}", current_user.username,
                        {"kind": "notify"})
    note = "" if jobs.live_workers(store) else "注意：当前没有运行中的工作进程（policy-search worker）。"
    return back_to_list(f"推送任务 #{job_id} 已加入队列。{note}")


def staff_change(subscription_id: int, action: str, change, done: str, refused: str):
    subscription = staff_subscription(subscription_id)
    if not change(subscription.id):
        return back_to_list(refused.format(id=subscription.id), "error")
    staff_audit(f"subscription_{action}", subscription)
    return back_to_list(done.format(id=subscription.id))


@staff_bp.post("/<int:subscription_id>/pause")
def staff_pause(subscription_id: int):
    return staff_change(subscription_id, "pause",
                        lambda i: services().store.subscriptions.pause(i, "staff"),
                        "已暂停订阅 #{id}。", "订阅 #{id} 不在推送中，无需暂停。")


@staff_bp.post("/<int:subscription_id>/resume")
def staff_resume(subscription_id: int):
    return staff_change(subscription_id, "resume", services().store.subscriptions.resume,
                        "已恢复订阅 #{id}（失败次数已清零）。", "订阅 #{id} 没有暂停。")


@staff_bp.post("/<int:subscription_id>/delete")
def staff_delete(subscription_id: int):
    subscription = staff_subscription(subscription_id)
    services().store.subscriptions.delete(subscription.id)
    staff_audit("subscription_delete", subscription,
                {"channel": subscription.channel, "address": subscription.masked_address})
    return back_to_list(f"已删除订阅 #{subscription.id}。")

