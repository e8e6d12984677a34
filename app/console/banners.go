package console

import (
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/console/form"
	"twofold/app/i18n"
	"twofold/app/widget"
	"twofold/shared/api"
)

// urgentDays: a 2FA renewal due within this many days shows as a
// warning, not as information (the reminders' last mail, 3 days before).
const urgentDays = int(api.TFAExpiryLastNotice / (24 * time.Hour))

// banners are the settings page's reminders (Account.Notices, which the
// server words from the 2FA state: 2FA turning "expired" within 14 days
// or expired, 2 or fewer backup codes left), each with the button that
// starts its flow: Renew 2FA, or Regenerate the backup codes. They show
// above the tabs, on every tab.
type banners struct {
	app.Compo

	Notices []api.Notice
	// Offline disables the buttons: they need the server.
	Offline      bool
	OnRenew      app.EventHandler
	OnRegenerate app.EventHandler
}

func (b *banners) Render() app.UI {
	if len(b.Notices) == 0 {
		return app.Text("")
	}
	items := make([]app.UI, 0, len(b.Notices))
	for _, n := range b.Notices {
		if item := b.renderNotice(n); item != nil {
			items = append(items, item)
		}
	}
	return app.Section().ID("banners").Class("banners").Aria("label", i18n.T("banner.label")).Body(items...)
}

// renderNotice is the banner of one notice, or nil for a kind this
// version does not know.
func (b *banners) renderNotice(n api.Notice) app.UI {
	kind, text := widget.AlertWarning, ""
	var button app.UI
	switch n.Kind {
	case api.NoticeTFAExpiring:
		date := ""
		if n.ExpiresAt != nil {
			date = formatDate(*n.ExpiresAt)
		}
		text = i18n.T("banner.tfa_expiring", "days", form.Itoa(n.DaysLeft), "date", date)
		if n.DaysLeft <= 1 {
			text = i18n.T("banner.tfa_expiring.one", "date", date)
		}
		if n.DaysLeft > urgentDays {
			kind = widget.AlertInfo
		}
	case api.NoticeTFAExpired:
		text = i18n.T("banner.tfa_expired")
	case api.NoticeBackupCodesLow:
		left := 0
		if n.BackupCodesRemaining != nil {
			left = *n.BackupCodesRemaining
		}
		text = i18n.T("banner.codes_low", "n", form.Itoa(left))
		switch left {
		case 0:
			text = i18n.T("banner.codes_none")
		case 1:
			text = i18n.T("banner.codes_one")
		}
	default:
		return nil
	}
	switch n.Action {
	case api.ActionRenewTFA:
		button = widget.Button{
			ID: "banner-renew", Label: i18n.T("tfa.renew"), Type: "button", Kind: widget.ButtonAmber,
			Small: true, Icon: "lock", OnClick: b.OnRenew, Disabled: b.Offline,
		}.UI()
	case api.ActionRegenerateBackupCodes:
		button = widget.Button{
			ID: "banner-regenerate", Label: i18n.T("banner.regenerate"), Type: "button",
			Kind: widget.ButtonSecondary, Small: true, OnClick: b.OnRegenerate, Disabled: b.Offline,
		}.UI()
	}
	return app.Div().ID("banner-"+n.Kind).Class("alert alert-"+kind+" banner").
		DataSet("kind", n.Kind).DataSet("days", n.DaysLeft).Body(
		app.P().ID("banner-"+n.Kind+"-text").Class("banner-text").Text(text),
		button,
	)
}

// renderBanners is the page's banners, once the server's account is
// shown (the view kept for offline use has no notices).
func (p *settings) renderBanners() app.UI {
	if p.account == nil || p.status != statusLoaded {
		return app.Text("")
	}
	return &banners{
		Notices: p.account.Notices, Offline: p.offline,
		OnRenew: p.openEnrol, OnRegenerate: p.openRegenerate,
	}
}
