package uptimekuma

import (
	"context"
	"encoding/json"
	"fmt"
)

// Uptime Kuma's heartbeat statuses (src/util.ts).
const (
	StatusDown    = 0
	StatusUp      = 1
	StatusPending = 2
)

// Result is the answer most of Uptime Kuma's socket events give their
// callback: {"ok": true, "msg": "..."} plus fields of the event's own.
type Result struct {
	OK        bool   `json:"ok"`
	Msg       string `json:"msg"`
	Token     string `json:"token"`     // login
	MonitorID int    `json:"monitorID"` // add
	// Monitor is getMonitor's monitor.
	Monitor *Monitor `json:"monitor"`
}

// Monitor is the fields of a monitor (Monitor.toJSON on the server) the
// tests read.
type Monitor struct {
	ID                  int      `json:"id"`
	Name                string   `json:"name"`
	Type                string   `json:"type"`
	URL                 string   `json:"url"`
	Method              string   `json:"method"`
	Interval            int      `json:"interval"`
	Active              bool     `json:"active"`
	AcceptedStatusCodes []string `json:"accepted_statuscodes"`
	PushToken           string   `json:"pushToken"`
}

// Heartbeat is a "heartbeat" event's argument (Heartbeat.toJSON).
type Heartbeat struct {
	MonitorID int    `json:"monitorID"`
	Status    int    `json:"status"`
	Time      string `json:"time"`
	Msg       string `json:"msg"`
	Important bool   `json:"important"`
}

// decodeResult reads the callback's single argument of an event.
func decodeResult(event string, args []json.RawMessage) (Result, error) {
	var r Result
	if len(args) != 1 {
		return r, fmt.Errorf("%s: callback called with %d arguments, want 1", event, len(args))
	}
	if err := json.Unmarshal(args[0], &r); err != nil {
		return r, fmt.Errorf("%s: callback argument %s: %w", event, excerpt(string(args[0])), err)
	}
	return r, nil
}

// decodeMonitorList reads a "monitorList" event's argument: the user's
// monitors by id.
func decodeMonitorList(e Event) (map[string]Monitor, error) {
	if e.Name != "monitorList" || len(e.Args) != 1 {
		return nil, fmt.Errorf("not a monitorList event with one argument: %s (%d arguments)", e.Name, len(e.Args))
	}
	var list map[string]Monitor
	if err := json.Unmarshal(e.Args[0], &list); err != nil {
		return nil, fmt.Errorf("monitorList: %w", err)
	}
	return list, nil
}

// decodeHeartbeat reads a "heartbeat" event's argument.
func decodeHeartbeat(e Event) (Heartbeat, error) {
	var h Heartbeat
	if e.Name != "heartbeat" || len(e.Args) != 1 {
		return h, fmt.Errorf("not a heartbeat event with one argument: %s (%d arguments)", e.Name, len(e.Args))
	}
	if err := json.Unmarshal(e.Args[0], &h); err != nil {
		return h, fmt.Errorf("heartbeat: %w", err)
	}
	return h, nil
}

// call emits an event whose callback gets a Result and decodes it.
func call(ctx context.Context, s *Socket, event string, args ...any) (Result, error) {
	got, err := s.Call(ctx, event, args...)
	if err != nil {
		return Result{}, err
	}
	return decodeResult(event, got)
}

// newMonitor is an "add" event's monitor: the web UI's defaults for a new
// monitor (EditMonitor.vue's monitorDefaults) with the given fields on top.
func newMonitor(fields map[string]any) map[string]any {
	m := map[string]any{
		"type": "http", "name": "", "parent": nil, "url": "https://", "method": "GET",
		"interval": 60, "retryInterval": 60, "resendInterval": 0, "maxretries": 1, "timeout": 48,
		"notificationIDList": map[string]any{}, "ignoreTls": false, "upsideDown": false,
		"packetSize": 56, "expiryNotification": false, "maxredirects": 10,
		"accepted_statuscodes": []string{"200-299"}, "dns_resolve_type": "A",
		"dns_resolve_server": "1.1.1.1", "docker_container": "", "docker_host": nil, "proxyId": nil,
		"mqttUsername": "", "mqttPassword": "", "mqttTopic": "", "mqttSuccessMessage": "",
		"authMethod": nil, "oauth_auth_method": "client_secret_basic", "httpBodyEncoding": "json",
		"kafkaProducerBrokers": []string{}, "kafkaProducerSaslOptions": map[string]any{"mechanism": "None"},
		"gamedigGivenPortOnly": true,
	}
	for k, v := range fields {
		m[k] = v
	}
	return m
}
