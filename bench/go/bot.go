// The seeds' echo bot ("Hello" -> "Hi <@USER>!" in the thread, through
// chat.postMessage) on slack-go 0.11.3 (Debian), over RTM or, with
// SLACK_APP_TOKEN set, over its socketmode package (each envelope acked with
// client.Ack first, as its docs say): the Go peer of slackrtm-bench-bot,
// instrumented the same way for bench/driver.py: one JSON report line per
// simulator flood on stdout (and on SIGUSR2).
// usage: bench-bot-go --api-url=URL [--clients=N]; tokens from
// SLACK_BOT_TOKEN and (Socket Mode) SLACK_APP_TOKEN.
//
// slack-go parses events into fixed structs and drops the simulator's
// sim_* fields, so the flood marks are read from client_msg_id, where the
// simulator mirrors them: "sim-<flood>-<seq>-<total>-<sent_ns>".
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/bits"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// The simulator stamps frames with CLOCK_MONOTONIC; Go's own monotonic
// reading has another origin, so it is anchored to CLOCK_MONOTONIC once.
var monoBase, wallBase = func() (int64, time.Time) {
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 1 /* CLOCK_MONOTONIC */, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano(), time.Now()
}()

func nowNs() int64 { return monoBase + time.Since(wallBase).Nanoseconds() }

// Log-linear histogram of nanoseconds, the same buckets as the C++ bot's.
type histogram struct {
	buckets [64 + 58*32]uint64
	max     uint64
}

func bucket(v uint64) int {
	if v < 64 {
		return int(v)
	}
	e := 63 - bits.LeadingZeros64(v)
	return 64 + (e-6)*32 + int((v>>(e-5))&31)
}

func middle(i int) uint64 {
	if i < 64 {
		return uint64(i)
	}
	e := (i-64)/32 + 6
	s := uint64((i - 64) % 32)
	return (uint64(1) << e) + (s << (e - 5)) + (uint64(1) << (e - 6))
}

func (h *histogram) add(ns int64) {
	v := uint64(0)
	if ns > 0 {
		v = uint64(ns)
	}
	h.buckets[bucket(v)]++
	if v > h.max {
		h.max = v
	}
}

func (h *histogram) quantile(q float64) uint64 {
	var total uint64
	for _, b := range h.buckets {
		total += b
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Floor(q * float64(total)))
	var seen uint64
	for i, b := range h.buckets {
		seen += b
		if seen > rank {
			m := middle(i)
			if m > h.max {
				return h.max
			}
			return m
		}
	}
	return h.max
}

type floodStats struct {
	mu sync.Mutex
	floodData
}

type floodData struct {
	flood, total                     int64
	seen, hellos, replies, replyErrs int64
	firstNs, lastNs, replyLastNs     int64
	latency, roundTrip               histogram
	reported                         bool
}

func (s *floodStats) onSeen(flood, total, sentNs, atNs int64, hello bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if flood != s.flood {
		s.floodData = floodData{flood: flood, total: total}
	}
	s.latency.add(atNs - sentNs)
	if s.firstNs == 0 || atNs < s.firstNs {
		s.firstNs = atNs
	}
	if atNs > s.lastNs {
		s.lastNs = atNs
	}
	if hello {
		s.hellos++
	}
	s.seen++
	s.maybeReport()
}

func (s *floodStats) onReplied(sentNs int64, ok bool) {
	at := nowNs()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.roundTrip.add(at - sentNs)
	if at > s.replyLastNs {
		s.replyLastNs = at
	}
	if !ok {
		s.replyErrs++
	}
	s.replies++
	s.maybeReport()
}

func (s *floodStats) maybeReport() {
	if s.seen < s.total || s.replies < s.hellos || s.reported {
		return
	}
	s.reported = true
	s.report(false)
}

func (s *floodStats) report(partial bool) {
	line, _ := json.Marshal(map[string]interface{}{
		"flood": s.flood, "partial": partial, "seen": s.seen, "total": s.total,
		"hellos": s.hellos, "replies": s.replies, "reply_errors": s.replyErrs,
		"first_ns": s.firstNs, "last_ns": s.lastNs, "reply_last_ns": s.replyLastNs,
		"lat_p50_ns": s.latency.quantile(0.5), "lat_p99_ns": s.latency.quantile(0.99),
		"lat_max_ns": s.latency.max,
		"rtt_p50_ns": s.roundTrip.quantile(0.5), "rtt_p99_ns": s.roundTrip.quantile(0.99),
		"rtt_max_ns": s.roundTrip.max,
	})
	os.Stdout.Write(append(line, '\n'))
}

// floodMarks reads "sim-<flood>-<seq>-<total>-<sent_ns>".
func floodMarks(id string) (flood, total, sentNs int64, ok bool) {
	if !strings.HasPrefix(id, "sim-") {
		return 0, 0, 0, false
	}
	parts := strings.Split(id[4:], "-")
	if len(parts) != 4 {
		return 0, 0, 0, false
	}
	flood, _ = strconv.ParseInt(parts[0], 10, 64)
	total, _ = strconv.ParseInt(parts[2], 10, 64)
	sentNs, _ = strconv.ParseInt(parts[3], 10, 64)
	return flood, total, sentNs, flood > 0
}

// What the echo logic reads from a message event, RTM's or Socket Mode's.
type message struct {
	text, botID, user, channel, ts, clientMsgID string
}

// onMessage is the seeds' echo logic, counted; at is when the event reached
// the bot, selfID the bot's own user (RTM) or "".
func onMessage(api *slack.Client, stats *floodStats, m message, at int64, selfID string) {
	hello := strings.Contains(m.text, "Hello") && m.botID == ""
	flood, total, sentNs, marked := floodMarks(m.clientMsgID)
	if marked {
		stats.onSeen(flood, total, sentNs, at, hello)
	}
	if !hello || m.user == "" || m.user == selfID {
		return
	}
	go func() {
		_, _, err := api.PostMessage(m.channel,
			slack.MsgOptionText("Hi <@"+m.user+">!", false), slack.MsgOptionTS(m.ts))
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench-bot-go: could not reply: %v\n", err)
		}
		if marked {
			stats.onReplied(sentNs, err == nil)
		}
	}()
}

func runRTM(api *slack.Client, stats *floodStats) {
	rtm := api.NewRTM()
	go rtm.ManageConnection()
	for msg := range rtm.IncomingEvents {
		ev, isMessage := msg.Data.(*slack.MessageEvent)
		if !isMessage {
			continue
		}
		at := nowNs()
		selfID := ""
		if info := rtm.GetInfo(); info != nil {
			selfID = info.User.ID
		}
		onMessage(api, stats, message{ev.Text, ev.BotID, ev.User, ev.Channel,
			ev.Timestamp, ev.ClientMsgID}, at, selfID)
	}
}

func runSocketMode(api *slack.Client, stats *floodStats) {
	client := socketmode.New(api)
	go func() {
		if err := client.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "bench-bot-go: socket mode: %v\n", err)
		}
	}()
	for evt := range client.Events {
		if evt.Type != socketmode.EventTypeEventsAPI {
			continue
		}
		at := nowNs()
		client.Ack(*evt.Request)
		outer, isEvent := evt.Data.(slackevents.EventsAPIEvent)
		if !isEvent {
			continue
		}
		ev, isMessage := outer.InnerEvent.Data.(*slackevents.MessageEvent)
		if !isMessage {
			continue
		}
		onMessage(api, stats, message{ev.Text, ev.BotID, ev.User, ev.Channel,
			ev.TimeStamp, ev.ClientMsgID}, at, "")
	}
}

func main() {
	apiURL := flag.String("api-url", os.Getenv("SLACK_API_URL"), "Web API base URL")
	clients := flag.Int("clients", 1, "clients (workspaces) in this process")
	flag.Parse()
	token := os.Getenv("SLACK_BOT_TOKEN")
	appToken := os.Getenv("SLACK_APP_TOKEN")
	if token == "" || *apiURL == "" {
		fmt.Fprintln(os.Stderr, "bench-bot-go: set SLACK_BOT_TOKEN and --api-url")
		os.Exit(2)
	}
	stats := &floodStats{}
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGUSR2, syscall.SIGINT, syscall.SIGTERM)
	for i := 0; i < *clients; i++ {
		if appToken == "" {
			go runRTM(slack.New(token, slack.OptionAPIURL(*apiURL)), stats)
			continue
		}
		go runSocketMode(slack.New(token, slack.OptionAPIURL(*apiURL),
			slack.OptionAppLevelToken(appToken)), stats)
	}
	for sig := range signals {
		if sig == syscall.SIGUSR2 {
			stats.mu.Lock()
			stats.report(true)
			stats.mu.Unlock()
			continue
		}
		os.Exit(0)
	}
}
