package core

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"grantbook/backend/store"
)

const keyLifecycle = "lifecycle.settings"

// LifecycleSettings say how access looks after itself: reminders before a
// grant ends and before an invitation expires, confirmation and second
// factors for high privilege, periodic reviews and request limits.
type LifecycleSettings struct {
	// GrantReminders is the off switch of the reminders before a grant
	// ends; ReminderDays are the offsets (days before the end), each once.
	GrantReminders bool  `json:"grant_reminders"`
	ReminderDays   []int `json:"reminder_days"`
	RemindContact  bool  `json:"remind_contact"`
	RemindOwner    bool  `json:"remind_owner"`
	// InvitationReminder mails a pending invitation once, this many days
	// before it expires.
	InvitationReminder     bool `json:"invitation_reminder"`
	InvitationReminderDays int  `json:"invitation_reminder_days"`
	// ConfirmHighPrivilege: after a verified reply, an invitation giving
	// Full, admin or payment access waits for the owner's confirmation.
	ConfirmHighPrivilege bool `json:"confirm_high_privilege"`
	// RequireSecondFactor: a contact with Full, admin or payment access
	// cannot act until a passkey or an authenticator app is set up.
	RequireSecondFactor bool `json:"require_second_factor"`
	// ReviewEveryDays opens an access review every so many days (0: never).
	ReviewEveryDays int `json:"review_every_days"`
	// RequestsPerDay bounds the access requests one contact makes a day.
	RequestsPerDay int `json:"requests_per_day"`
}

// DefaultLifecycle is what holds until the owner changes it.
func DefaultLifecycle() LifecycleSettings {
	return LifecycleSettings{GrantReminders: true, ReminderDays: []int{30, 7, 1}, RemindContact: true, RemindOwner: true,
		InvitationReminder: true, InvitationReminderDays: 2, ReviewEveryDays: 90, RequestsPerDay: 5}
}

// Lifecycle returns the settings; fields never saved keep their defaults.
// They are kept in memory until a setting changes (factorHold reads them on
// every client-area request).
func (a *App) Lifecycle(ctx context.Context) (LifecycleSettings, error) {
	st, err := a.lifecycleNow(ctx)
	st.ReminderDays = slices.Clone(st.ReminderDays) // the caller's own
	return st, err
}

// lifecycleNow is Lifecycle shared: callers must not change ReminderDays.
func (a *App) lifecycleNow(ctx context.Context) (LifecycleSettings, error) {
	return a.cached.lifecycle.Get(struct{}{}, func() (LifecycleSettings, error) { return a.lifecycle(ctx, a.store.Q) })
}

func (a *App) lifecycle(ctx context.Context, q store.Q) (LifecycleSettings, error) {
	st := DefaultLifecycle()
	raw, ok, err := q.Setting(ctx, keyLifecycle)
	if err != nil || !ok {
		return st, err
	}
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		return DefaultLifecycle(), fmt.Errorf("lifecycle settings are damaged: %w", err)
	}
	return st, nil
}

// PutLifecycle checks and saves the settings.
func (a *App) PutLifecycle(ctx context.Context, st LifecycleSettings) (LifecycleSettings, error) {
	if len(st.ReminderDays) > 5 {
		return st, invalid("reminder_days", "at most 5 reminders before a grant ends")
	}
	days := slices.Clone(st.ReminderDays)
	for _, d := range days {
		if d < 1 || d > 365 {
			return st, invalid("reminder_days", "a reminder goes 1 to 365 days before the end (not %d)", d)
		}
	}
	slices.Sort(days)
	st.ReminderDays = slices.Compact(days)
	switch {
	case st.InvitationReminderDays < 1 || st.InvitationReminderDays > 60:
		return st, invalid("invitation_reminder_days", "the invitation reminder goes 1 to 60 days before it expires")
	case st.ReviewEveryDays != 0 && (st.ReviewEveryDays < 7 || st.ReviewEveryDays > 730):
		return st, invalid("review_every_days", "reviews open every 7 to 730 days (0: never)")
	case st.RequestsPerDay < 1 || st.RequestsPerDay > 100:
		return st, invalid("requests_per_day", "a contact may make 1 to 100 access requests a day")
	}
	return putJSONSetting(a, ctx, keyLifecycle, "reminder, request and review settings", "settings.lifecycle", st)
}
