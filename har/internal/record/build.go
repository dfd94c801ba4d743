package main

// This file turns the DevTools protocol events of a Chromium tab into a HAR
// the way Chrome DevTools' exporter does: the Network events update one
// request record per request and per redirect hop (NetworkManager), raw
// headers from the *ExtraInfo events replace the provisional ones and are
// matched to the hops of a redirect chain by position (ExtraInfoBuilder),
// and each record becomes an entry (models/har/Log.ts): headers as
// name/value lists split on "\n", status and headers of responses that CORS
// blocked from responseReceivedExtraInfo, response._error from
// loadingFailed's errorText, _initiator, _resourceType, _priority, timings.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// nameValue is one HAR header, query parameter or cookie.
type nameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// orderedHeaders decodes a DevTools Headers object keeping the order of its
// names; values joined with "\n" become one line each, as DevTools does.
type orderedHeaders []nameValue

func (h *orderedHeaders) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("headers: want an object, got %v", tok)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return err
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return err
		}
		s, _ := v.(string)
		for _, line := range strings.Split(s, "\n") {
			*h = append(*h, nameValue{Name: k.(string), Value: line})
		}
	}
	return nil
}

type cdpTiming struct {
	RequestTime       float64 `json:"requestTime"`
	ProxyStart        float64 `json:"proxyStart"`
	ProxyEnd          float64 `json:"proxyEnd"`
	DNSStart          float64 `json:"dnsStart"`
	DNSEnd            float64 `json:"dnsEnd"`
	ConnectStart      float64 `json:"connectStart"`
	ConnectEnd        float64 `json:"connectEnd"`
	SSLStart          float64 `json:"sslStart"`
	SSLEnd            float64 `json:"sslEnd"`
	SendStart         float64 `json:"sendStart"`
	SendEnd           float64 `json:"sendEnd"`
	ReceiveHeadersEnd float64 `json:"receiveHeadersEnd"`
}

type cdpRequest struct {
	URL             string         `json:"url"`
	Method          string         `json:"method"`
	Headers         orderedHeaders `json:"headers"`
	PostData        *string        `json:"postData"`
	HasPostData     bool           `json:"hasPostData"`
	InitialPriority string         `json:"initialPriority"`
}

type cdpResponse struct {
	URL               string         `json:"url"`
	Status            int            `json:"status"`
	StatusText        string         `json:"statusText"`
	Headers           orderedHeaders `json:"headers"`
	MimeType          string         `json:"mimeType"`
	ConnectionID      float64        `json:"connectionId"`
	RemoteIPAddress   string         `json:"remoteIPAddress"`
	RemotePort        int            `json:"remotePort"`
	FromDiskCache     bool           `json:"fromDiskCache"`
	EncodedDataLength float64        `json:"encodedDataLength"`
	Timing            *cdpTiming     `json:"timing"`
	Protocol          string         `json:"protocol"`
}

// initiator is what DevTools exports of Network.Initiator.
type initiator struct {
	Type       string          `json:"type"`
	URL        *string         `json:"url,omitempty"`
	RequestID  *string         `json:"requestId,omitempty"`
	LineNumber *float64        `json:"lineNumber,omitempty"`
	Stack      json.RawMessage `json:"stack,omitempty"`
}

// request is DevTools' NetworkRequest, reduced to what the HAR shows.
type request struct {
	id                   string
	url                  string
	method               string
	reqHeaders           []nameValue
	reqHeadersText       string
	postData             *string
	issueTime, wallTime  float64
	startTime            float64
	resourceType         string
	initiator            *initiator
	priority             string
	status               int
	statusText           string
	respHeaders          []nameValue
	respHeadersText      string
	hasExtraResp         bool
	mimeType             string
	protocol             string
	timing               *cdpTiming
	responseReceivedTime float64
	endTime              float64
	failed               bool
	errorText            *string
	transferSize         float64
	resourceSize         float64
	remoteIP             string
	remotePort           int
	connectionID         string
	cached               bool
	page                 *pageLoad
}

type extraRequest struct{ headers []nameValue }

type extraResponse struct {
	headers     []nameValue
	headersText string
	status      int
}

// extraInfo matches the *ExtraInfo events of one request id to the hops of
// its redirect chain by position.
type extraInfo struct {
	reqs     []*request
	reqExtra []*extraRequest
	resExtra []*extraResponse
}

func (e *extraInfo) sync(i int) {
	if i >= len(e.reqs) {
		return
	}
	r := e.reqs[i]
	if i < len(e.reqExtra) && e.reqExtra[i] != nil {
		r.reqHeaders = e.reqExtra[i].headers
	}
	if i < len(e.resExtra) && e.resExtra[i] != nil {
		x := e.resExtra[i]
		r.respHeaders = x.headers
		r.hasExtraResp = true
		if x.headersText != "" {
			r.respHeadersText = x.headersText
			if r.reqHeadersText == "" {
				r.reqHeadersText = requestHeadersText(r)
			}
			first, _, _ := strings.Cut(x.headersText, "\r")
			if parts := strings.SplitN(first, " ", 3); len(parts) == 3 {
				r.statusText = parts[2]
			}
		}
		if x.status != 0 {
			r.status = x.status
		}
	}
}

// requestHeadersText is the request head DevTools makes up from the raw
// request headers when the response head is known (it sizes the request
// head with it).
func requestHeadersText(r *request) string {
	u, err := url.Parse(r.url)
	path := r.url
	if err == nil {
		path = u.Path
		if u.RawQuery != "" {
			path += "?" + u.RawQuery
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", r.method, path)
	for _, h := range r.reqHeaders {
		fmt.Fprintf(&b, "%s: %s\r\n", h.Name, h.Value)
	}
	return b.String()
}

// pageLoad is one top-level navigation.
type pageLoad struct {
	id                int
	url               string
	startTime         float64
	main              *request
	contentLoad, load float64
}

// builder collects the events of one tab.
type builder struct {
	byID  map[string]*request
	extra map[string]*extraInfo
	order []*request
	pages []*pageLoad
}

func newBuilder() *builder {
	return &builder{byID: map[string]*request{}, extra: map[string]*extraInfo{}}
}

func (b *builder) extraFor(id string) *extraInfo {
	e, ok := b.extra[id]
	if !ok {
		e = &extraInfo{}
		b.extra[id] = e
	}
	return e
}

func (b *builder) currentPage() *pageLoad {
	if len(b.pages) == 0 {
		return nil
	}
	return b.pages[len(b.pages)-1]
}

// event applies one DevTools event.
func (b *builder) event(method string, params json.RawMessage) error {
	switch method {
	case "Network.requestWillBeSent":
		var ev struct {
			RequestID        string       `json:"requestId"`
			LoaderID         string       `json:"loaderId"`
			Request          cdpRequest   `json:"request"`
			Timestamp        float64      `json:"timestamp"`
			WallTime         float64      `json:"wallTime"`
			Initiator        initiator    `json:"initiator"`
			RedirectResponse *cdpResponse `json:"redirectResponse"`
			RedirectExtra    bool         `json:"redirectHasExtraInfo"`
			Type             string       `json:"type"`
			FrameID          string       `json:"frameId"`
		}
		if err := json.Unmarshal(params, &ev); err != nil {
			return err
		}
		r, ok := b.byID[ev.RequestID]
		if ok {
			if ev.RedirectResponse == nil {
				return nil
			}
			b.response(r, ev.Timestamp, ev.Type, *ev.RedirectResponse, ev.RedirectExtra)
			r.endTime = ev.Timestamp
			next := &request{id: ev.RequestID, initiator: r.initiator, page: r.page}
			b.byID[ev.RequestID] = next
			r = next
		} else {
			init := ev.Initiator
			r = &request{id: ev.RequestID, initiator: &init, page: b.currentPage()}
			b.byID[ev.RequestID] = r
			if ev.Type == "Document" && ev.RequestID == ev.LoaderID {
				p := &pageLoad{id: len(b.pages) + 1, url: ev.Request.URL, startTime: ev.Timestamp, main: r, contentLoad: -1, load: -1}
				b.pages = append(b.pages, p)
				r.page = p
			}
		}
		r.url = ev.Request.URL
		r.method = ev.Request.Method
		r.reqHeaders = ev.Request.Headers
		r.postData = ev.Request.PostData
		r.priority = ev.Request.InitialPriority
		r.issueTime, r.startTime, r.wallTime = ev.Timestamp, ev.Timestamp, ev.WallTime
		r.responseReceivedTime, r.endTime = -1, -1
		r.resourceType = ev.Type
		if r.resourceType == "" {
			r.resourceType = "Other"
		}
		b.order = append(b.order, r)
		e := b.extraFor(ev.RequestID)
		e.reqs = append(e.reqs, r)
		e.sync(len(e.reqs) - 1)
	case "Network.requestWillBeSentExtraInfo":
		var ev struct {
			RequestID string         `json:"requestId"`
			Headers   orderedHeaders `json:"headers"`
		}
		if err := json.Unmarshal(params, &ev); err != nil {
			return err
		}
		e := b.extraFor(ev.RequestID)
		e.reqExtra = append(e.reqExtra, &extraRequest{headers: ev.Headers})
		e.sync(len(e.reqExtra) - 1)
	case "Network.responseReceivedExtraInfo":
		var ev struct {
			RequestID   string         `json:"requestId"`
			Headers     orderedHeaders `json:"headers"`
			HeadersText string         `json:"headersText"`
			StatusCode  int            `json:"statusCode"`
		}
		if err := json.Unmarshal(params, &ev); err != nil {
			return err
		}
		e := b.extraFor(ev.RequestID)
		e.resExtra = append(e.resExtra, &extraResponse{headers: ev.Headers, headersText: ev.HeadersText, status: ev.StatusCode})
		e.sync(len(e.resExtra) - 1)
	case "Network.responseReceived":
		var ev struct {
			RequestID    string      `json:"requestId"`
			Timestamp    float64     `json:"timestamp"`
			Type         string      `json:"type"`
			Response     cdpResponse `json:"response"`
			HasExtraInfo bool        `json:"hasExtraInfo"`
		}
		if err := json.Unmarshal(params, &ev); err != nil {
			return err
		}
		if r, ok := b.byID[ev.RequestID]; ok {
			b.response(r, ev.Timestamp, ev.Type, ev.Response, ev.HasExtraInfo)
		}
	case "Network.dataReceived":
		var ev struct {
			RequestID  string  `json:"requestId"`
			DataLength float64 `json:"dataLength"`
		}
		if err := json.Unmarshal(params, &ev); err != nil {
			return err
		}
		if r, ok := b.byID[ev.RequestID]; ok {
			r.resourceSize += ev.DataLength
		}
	case "Network.requestServedFromCache":
		var ev struct {
			RequestID string `json:"requestId"`
		}
		if err := json.Unmarshal(params, &ev); err != nil {
			return err
		}
		if r, ok := b.byID[ev.RequestID]; ok {
			r.cached = true
		}
	case "Network.loadingFinished":
		var ev struct {
			RequestID         string  `json:"requestId"`
			Timestamp         float64 `json:"timestamp"`
			EncodedDataLength float64 `json:"encodedDataLength"`
		}
		if err := json.Unmarshal(params, &ev); err != nil {
			return err
		}
		if r, ok := b.byID[ev.RequestID]; ok {
			r.endTime = ev.Timestamp
			if ev.EncodedDataLength >= 0 {
				r.transferSize = ev.EncodedDataLength
			}
		}
	case "Network.loadingFailed":
		var ev struct {
			RequestID string  `json:"requestId"`
			Timestamp float64 `json:"timestamp"`
			Type      string  `json:"type"`
			ErrorText string  `json:"errorText"`
		}
		if err := json.Unmarshal(params, &ev); err != nil {
			return err
		}
		if r, ok := b.byID[ev.RequestID]; ok {
			r.failed = true
			if ev.Type != "" {
				r.resourceType = ev.Type
			}
			txt := ev.ErrorText
			r.errorText = &txt
			r.endTime = ev.Timestamp
		}
	case "Page.domContentEventFired", "Page.loadEventFired":
		var ev struct {
			Timestamp float64 `json:"timestamp"`
		}
		if err := json.Unmarshal(params, &ev); err != nil {
			return err
		}
		if p := b.currentPage(); p != nil {
			if method == "Page.loadEventFired" {
				p.load = ev.Timestamp
			} else {
				p.contentLoad = ev.Timestamp
			}
		}
	}
	return nil
}

// response applies a response (or a redirect response) to r, as
// NetworkDispatcher.updateNetworkRequestWithResponse does.
func (b *builder) response(r *request, ts float64, typ string, resp cdpResponse, hasExtra bool) {
	if r.responseReceivedTime < 0 || ts < r.responseReceivedTime {
		r.responseReceivedTime = ts
	}
	if typ != "" {
		r.resourceType = typ
	}
	r.mimeType = resp.MimeType
	if r.status == 0 {
		r.status = resp.Status
	}
	if r.statusText == "" {
		r.statusText = resp.StatusText
	}
	if !r.hasExtraResp {
		r.respHeaders = resp.Headers
	}
	if resp.EncodedDataLength >= 0 {
		r.transferSize = resp.EncodedDataLength
	}
	r.connectionID = fmt.Sprint(resp.ConnectionID)
	r.remoteIP, r.remotePort = resp.RemoteIPAddress, resp.RemotePort
	if resp.FromDiskCache {
		r.cached = true
	}
	if resp.Timing != nil {
		t := *resp.Timing
		r.timing = &t
		r.startTime = t.RequestTime
		if h := t.RequestTime + t.ReceiveHeadersEnd/1000; r.responseReceivedTime < 0 || r.responseReceivedTime > h {
			r.responseReceivedTime = h
		}
	}
	r.protocol = resp.Protocol
	e := b.extraFor(r.id)
	if !hasExtra {
		// No ExtraInfo will come for this hop: keep the positions of the
		// next hops' ExtraInfo events right.
		i := len(e.reqs) - 1
		e.reqExtra = insertNil(e.reqExtra, i)
		e.resExtra = insertNil(e.resExtra, i)
	}
	e.sync(len(e.reqs) - 1)
}

func insertNil[T any](s []*T, i int) []*T {
	if i > len(s) {
		i = len(s)
	}
	return append(s[:i], append([]*T{nil}, s[i:]...)...)
}

// HAR output: the fields and their order as Chrome DevTools writes them.

type harFile struct {
	Log harLog `json:"log"`
}

type harLog struct {
	Version string     `json:"version"`
	Creator harCreator `json:"creator"`
	Pages   []harPage  `json:"pages"`
	Entries []harEntry `json:"entries"`
	Comment string     `json:"comment,omitempty"`
}

type harCreator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type harPage struct {
	StartedDateTime string         `json:"startedDateTime"`
	ID              string         `json:"id"`
	Title           string         `json:"title"`
	PageTimings     harPageTimings `json:"pageTimings"`
}

type harPageTimings struct {
	OnContentLoad float64 `json:"onContentLoad"`
	OnLoad        float64 `json:"onLoad"`
}

type harEntry struct {
	ConnectionID    string      `json:"_connectionId,omitempty"`
	FromCache       string      `json:"_fromCache,omitempty"`
	Initiator       *initiator  `json:"_initiator"`
	Priority        *string     `json:"_priority"`
	ResourceType    string      `json:"_resourceType"`
	Cache           struct{}    `json:"cache"`
	Connection      string      `json:"connection,omitempty"`
	Pageref         string      `json:"pageref,omitempty"`
	Request         harRequest  `json:"request"`
	Response        harResponse `json:"response"`
	ServerIPAddress string      `json:"serverIPAddress"`
	StartedDateTime string      `json:"startedDateTime"`
	Time            float64     `json:"time"`
	Timings         harTimings  `json:"timings"`
}

type harRequest struct {
	Method      string       `json:"method"`
	URL         string       `json:"url"`
	HTTPVersion string       `json:"httpVersion"`
	Headers     []nameValue  `json:"headers"`
	QueryString []nameValue  `json:"queryString"`
	Cookies     []nameValue  `json:"cookies"`
	HeadersSize int          `json:"headersSize"`
	BodySize    int          `json:"bodySize"`
	PostData    *harPostData `json:"postData,omitempty"`
}

type harPostData struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
}

type harResponse struct {
	Status       int         `json:"status"`
	StatusText   string      `json:"statusText"`
	HTTPVersion  string      `json:"httpVersion"`
	Headers      []nameValue `json:"headers"`
	Cookies      []nameValue `json:"cookies"`
	Content      harContent  `json:"content"`
	RedirectURL  string      `json:"redirectURL"`
	HeadersSize  int         `json:"headersSize"`
	BodySize     float64     `json:"bodySize"`
	TransferSize float64     `json:"_transferSize"`
	Error        *string     `json:"_error"`
}

type harContent struct {
	Size     float64 `json:"size"`
	MimeType string  `json:"mimeType"`
}

type harTimings struct {
	Blocked         float64  `json:"blocked"`
	DNS             float64  `json:"dns"`
	SSL             float64  `json:"ssl"`
	Connect         float64  `json:"connect"`
	Send            float64  `json:"send"`
	Wait            float64  `json:"wait"`
	Receive         float64  `json:"receive"`
	BlockedQueueing float64  `json:"_blocked_queueing"`
	BlockedProxy    *float64 `json:"_blocked_proxy,omitempty"`
}

// resourceTypeName is DevTools' name for a protocol ResourceType.
func resourceTypeName(t string) string {
	switch t {
	case "XHR":
		return "xhr"
	case "TextTrack":
		return "texttrack"
	case "EventSource":
		return "eventsource"
	case "WebSocket":
		return "websocket"
	case "SignedExchange":
		return "signed-exchange"
	case "CSPViolationReport":
		return "csp-violation-report"
	case "FedCM":
		return "fedcm"
	}
	return strings.ToLower(t)
}

func ms(t float64) float64 {
	if t == -1 {
		return -1
	}
	return round3(t * 1000)
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// wall is DevTools' pseudoWallTime: the request's wall clock at its issue
// time plus the monotonic time elapsed since.
func wall(r *request, t float64) string {
	sec := r.wallTime + (t - r.issueTime)
	whole, frac := math.Modf(sec)
	return time.Unix(int64(whole), int64(frac*1e9)).UTC().Format("2006-01-02T15:04:05.000Z")
}

var appleWebKit = regexp.MustCompile(`AppleWebKit/([^ ]+)`)

// build writes the HAR of everything recorded, as DevTools' "Export HAR".
func (b *builder) build(userAgent, comment string) harFile {
	creator := harCreator{Name: "WebInspector", Version: "n/a"}
	if m := appleWebKit.FindStringSubmatch(userAgent); m != nil {
		creator.Version = m[1]
	}
	log := harLog{Version: "1.2", Creator: creator, Pages: []harPage{}, Entries: []harEntry{}, Comment: comment}
	seen := map[*pageLoad]bool{}
	for _, r := range b.order {
		p := r.page
		if p == nil || seen[p] {
			continue
		}
		seen[p] = true
		pt := func(t float64) float64 {
			if t == -1 || p.startTime == -1 {
				return -1
			}
			return ms(t - p.startTime)
		}
		log.Pages = append(log.Pages, harPage{StartedDateTime: wall(r, p.startTime), ID: fmt.Sprintf("page_%d", p.id), Title: p.url,
			PageTimings: harPageTimings{OnContentLoad: pt(p.contentLoad), OnLoad: pt(p.load)}})
	}
	for _, r := range b.order {
		log.Entries = append(log.Entries, b.entry(r))
	}
	return harFile{Log: log}
}

func (b *builder) entry(r *request) harEntry {
	timings := buildTimings(r)
	total := 0.0
	for _, t := range []float64{timings.Blocked, timings.DNS, timings.Connect, timings.Send, timings.Wait, timings.Receive} {
		total += math.Max(t, 0)
	}
	e := harEntry{
		Initiator:       r.initiator,
		ResourceType:    resourceTypeName(r.resourceType),
		ServerIPAddress: strings.Trim(r.remoteIP, "[]"),
		StartedDateTime: wall(r, r.issueTime),
		Time:            round3(total),
		Timings:         timings,
		Request:         buildRequest(r),
		Response:        buildResponse(r),
	}
	if r.priority != "" {
		p := r.priority
		e.Priority = &p
	}
	if r.remotePort > 0 {
		e.Connection = fmt.Sprint(r.remotePort)
	}
	if r.cached {
		e.FromCache = "disk"
	}
	if r.connectionID != "" && r.connectionID != "0" {
		e.ConnectionID = r.connectionID
	}
	if r.page != nil {
		e.Pageref = fmt.Sprintf("page_%d", r.page.id)
	}
	return e
}

func httpVersion(protocol string) string {
	if protocol == "" {
		return ""
	}
	return protocol
}

func buildRequest(r *request) harRequest {
	u := r.url
	if i := strings.IndexByte(u, '#'); i >= 0 {
		u = u[:i]
	}
	req := harRequest{Method: r.method, URL: u, HTTPVersion: httpVersion(r.protocol), Headers: nonNil(r.reqHeaders),
		QueryString: []nameValue{}, Cookies: []nameValue{}, HeadersSize: -1}
	if pu, err := url.Parse(r.url); err == nil && pu.RawQuery != "" {
		for _, kv := range strings.Split(pu.RawQuery, "&") {
			k, v, _ := strings.Cut(kv, "=")
			req.QueryString = append(req.QueryString, nameValue{Name: k, Value: v})
		}
	}
	for _, h := range r.reqHeaders {
		if strings.EqualFold(h.Name, "Cookie") {
			for _, c := range strings.Split(h.Value, ";") {
				k, v, _ := strings.Cut(strings.TrimSpace(c), "=")
				req.Cookies = append(req.Cookies, nameValue{Name: k, Value: v})
			}
		}
	}
	if r.reqHeadersText != "" {
		req.HeadersSize = len(r.reqHeadersText)
	}
	if r.postData != nil {
		req.BodySize = len(*r.postData)
		ct := ""
		for _, h := range r.reqHeaders {
			if strings.EqualFold(h.Name, "Content-Type") {
				ct = h.Value
			}
		}
		req.PostData = &harPostData{MimeType: ct, Text: *r.postData}
	}
	return req
}

func buildResponse(r *request) harResponse {
	resp := harResponse{Status: r.status, StatusText: r.statusText, HTTPVersion: httpVersion(r.protocol),
		Headers: nonNil(r.respHeaders), Cookies: []nameValue{}, HeadersSize: -1, TransferSize: r.transferSize, Error: r.errorText}
	mime := r.mimeType
	if mime == "" {
		mime = "x-unknown"
	}
	resp.Content = harContent{Size: r.resourceSize, MimeType: mime}
	for _, h := range r.respHeaders {
		if strings.EqualFold(h.Name, "Location") && resp.RedirectURL == "" {
			resp.RedirectURL = h.Value
		}
	}
	if r.respHeadersText != "" {
		resp.HeadersSize = len(r.respHeadersText)
	}
	switch {
	case r.cached || r.status == 304:
		resp.BodySize = 0
	case r.respHeadersText == "":
		resp.BodySize = -1
	default:
		resp.BodySize = r.transferSize - float64(len(r.respHeadersText))
	}
	return resp
}

func nonNil(h []nameValue) []nameValue {
	if h == nil {
		return []nameValue{}
	}
	return h
}

// buildTimings follows DevTools' Entry.buildTimings: blocked (queueing and
// stalling), dns, connect (ssl included), send, wait and receive, in ms.
func buildTimings(r *request) harTimings {
	res := harTimings{Blocked: -1, DNS: -1, SSL: -1, Connect: -1, BlockedQueueing: -1}
	queued := -1.0
	if r.issueTime < r.startTime {
		queued = r.startTime - r.issueTime
	}
	res.Blocked = ms(queued)
	res.BlockedQueueing = ms(queued)
	highest := 0.0
	t := r.timing
	if t != nil {
		blockedStart := leastNonNegative(t.DNSStart, t.ConnectStart, t.SendStart)
		if !math.IsInf(blockedStart, 1) {
			res.Blocked += blockedStart
		}
		if t.ProxyEnd != -1 {
			p := t.ProxyEnd - t.ProxyStart
			res.BlockedProxy = &p
			if p > res.Blocked {
				res.Blocked = p
			}
		}
		dnsStart, dnsEnd := 0.0, -1.0
		if t.DNSEnd >= 0 {
			dnsStart, dnsEnd = blockedStart, t.DNSEnd
		}
		res.DNS = dnsEnd - dnsStart
		sslStart, sslEnd := 0.0, -1.0
		if t.SSLEnd > 0 {
			sslStart, sslEnd = t.SSLStart, t.SSLEnd
		}
		res.SSL = sslEnd - sslStart
		connectStart, connectEnd := 0.0, -1.0
		if t.ConnectEnd >= 0 {
			connectStart, connectEnd = leastNonNegative(dnsEnd, blockedStart), t.ConnectEnd
		}
		res.Connect = connectEnd - connectStart
		sendStart, sendEnd := 0.0, 0.0
		if t.SendEnd >= 0 {
			sendStart, sendEnd = math.Max(math.Max(connectEnd, dnsEnd), blockedStart), t.SendEnd
		}
		res.Send = math.Max(sendEnd-sendStart, 0)
		highest = math.Max(math.Max(math.Max(sendEnd, connectEnd), math.Max(sslEnd, dnsEnd)), math.Max(blockedStart, 0))
	} else if r.responseReceivedTime == -1 {
		res.Blocked = ms(r.endTime - r.issueTime)
		return roundTimings(res)
	}
	requestTime := r.startTime
	if t != nil {
		requestTime = t.RequestTime
	}
	waitEnd := ms(r.responseReceivedTime - requestTime)
	res.Wait = waitEnd - highest
	res.Receive = math.Max(ms(r.endTime-requestTime)-waitEnd, 0)
	return roundTimings(res)
}

func roundTimings(t harTimings) harTimings {
	for _, p := range []*float64{&t.Blocked, &t.DNS, &t.SSL, &t.Connect, &t.Send, &t.Wait, &t.Receive, &t.BlockedQueueing} {
		*p = round3(*p)
	}
	if t.BlockedProxy != nil {
		v := round3(*t.BlockedProxy)
		t.BlockedProxy = &v
	}
	return t
}

func leastNonNegative(vs ...float64) float64 {
	best := math.Inf(1)
	for _, v := range vs {
		if v >= 0 && v < best {
			best = v
		}
	}
	return best
}
