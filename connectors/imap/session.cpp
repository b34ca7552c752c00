#include "imap/session.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <deque>
#include <optional>
#include <span>
#include <variant>

#include "imap/classify.hpp"
#include "imap/connection.hpp"
#include "imap/traffic_log.hpp"

namespace mailprune::imap {
namespace {

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::toupper(c); });
  return text;
}

// Commands whose effect survives the connection. CREATE/DELETE/RENAME are not in error.hpp's list
// but change server state just the same.
bool mutates(const Command& command) {
  static const std::set<std::string> names = {"STORE", "UID STORE", "EXPUNGE", "UID EXPUNGE", "MOVE",   "UID MOVE",
                                              "COPY",  "UID COPY",  "APPEND",  "CREATE",      "DELETE", "RENAME"};
  return names.count(command.name) != 0;
}

// Commands nothing may be pipelined with: they wait for `+` (literals, SASL challenges), or they
// change what the byte stream is (STARTTLS, COMPRESS) or end it (LOGOUT).
bool exclusive(const Command& command) {
  return command.needs_continuation() || command.name == "AUTHENTICATE" || command.name == "STARTTLS" ||
         command.name.rfind("COMPRESS", 0) == 0 || command.name == "LOGOUT";
}

struct Flight {
  std::size_t index = 0;
  const Command* command = nullptr;
  std::size_t next_segment = 0;
  bool awaiting_continuation = false;
  bool done = false;
  CommandResult result;
};

class SessionImpl final : public Session {
 public:
  explicit SessionImpl(const SessionOptions& options)
      : options_(options), connection_(options.timeout), framer_(options.framer_limits) {
    if (!options_.traffic_log.empty()) log_.emplace(options_.traffic_log);
  }
  ~SessionImpl() override { connection_.close(); }

  void open();

  const std::set<std::string>& capabilities() const override { return capabilities_; }
  CommandOptions command_options() const override {
    CommandOptions out;
    out.literal_plus = has("LITERAL+");
    out.literal_minus = has("LITERAL-");
    out.utf8_accept = enabled_.count("UTF8=ACCEPT") != 0;
    return out;
  }
  const std::set<std::string>& enabled() const override { return enabled_; }
  bool compressed() const override { return connection_.compressed(); }
  TagGenerator& tags() override { return tags_; }

  CommandResult run(const Command& command) override {
    CommandResult out;
    execute(std::span<const Command>(&command, 1), 1,
            [&](std::size_t, CommandResult&& result) { out = std::move(result); });
    return out;
  }
  void run_pipelined(const std::vector<Command>& commands, std::size_t window,
                     const std::function<void(std::size_t, CommandResult&&)>& on_result) override {
    execute(commands, window, on_result);
  }
  void set_literal_sink(LiteralSink sink) override { framer_.set_sink(std::move(sink)); }
  bool alive() const override { return alive_; }
  SessionTraffic traffic() const override {
    SessionTraffic out;
    out.bytes_received = connection_.bytes_received();
    out.bytes_sent = connection_.bytes_sent();
    out.bytes_inflated = connection_.bytes_inflated();
    out.commands = commands_;
    out.round_trips = round_trips_;
    return out;
  }
  void close() noexcept override;

 private:
  [[noreturn]] void die(Error error) {
    alive_ = false;
    connection_.close();
    throw std::move(error);
  }
  Response read_response(bool counts_as_round_trip);
  void queue_segments(Flight& flight);
  void flush();
  void execute(std::span<const Command> commands, std::size_t window,
               const std::function<void(std::size_t, CommandResult&&)>& on_result);
  void dispatch(Response&& response, std::deque<Flight>& flights);
  void note(const Response& response);
  CommandResult run_checked(Command command);
  void authenticate();
  void refresh_capabilities();

  SessionOptions options_;
  detail::Connection connection_;
  Framer framer_;
  std::optional<detail::TrafficLog> log_;
  TagGenerator tags_;
  std::set<std::string> capabilities_;
  std::set<std::string> enabled_;
  std::uint64_t capability_updates_ = 0;
  std::string in_;  // bytes read from the connection, not yet framed
  std::size_t in_pos_ = 0;
  std::string out_;  // bytes queued for one write
  bool wrote_since_wait_ = false;
  bool alive_ = true;
  std::uint64_t commands_ = 0;
  std::uint64_t round_trips_ = 0;
};

Response SessionImpl::read_response(bool counts_as_round_trip) {
  for (;;) {
    if (in_pos_ < in_.size()) {
      FeedResult fed;
      try {
        fed = framer_.feed(std::string_view(in_).substr(in_pos_));
      } catch (...) {
        // The literal sink threw: the framer is mid-literal and cannot go on.
        alive_ = false;
        connection_.close();
        throw;
      }
      in_pos_ += fed.consumed;
      if (in_pos_ == in_.size()) {
        in_.clear();
        in_pos_ = 0;
      }
      if (fed.status == FrameStatus::error) die(error_from(*framer_.error()));
      if (fed.status == FrameStatus::complete) {
        FramedResponse framed = framer_.take();
        if (log_) log_->server(framed);
        Parsed<Response> parsed = parse_response(std::move(framed), options_.parser_limits);
        if (!parsed) die(error_from(parsed.error()));
        note(parsed.value());
        return std::move(parsed).value();
      }
      continue;
    }
    if (counts_as_round_trip && wrote_since_wait_) {
      ++round_trips_;
      wrote_since_wait_ = false;
    }
    const std::string_view bytes = connection_.read_some();
    if (in_pos_ > 0) {
      in_.erase(0, in_pos_);
      in_pos_ = 0;
    }
    in_.append(bytes);
  }
}

// Capabilities and ENABLED are tracked whichever command they arrive with.
void SessionImpl::note(const Response& response) {
  if (const auto* data = std::get_if<CapabilityData>(&response)) {
    capabilities_.clear();
    for (const auto& capability : data->capabilities) capabilities_.insert(upper(capability));
    ++capability_updates_;
  } else if (const auto* status = std::get_if<StatusResponse>(&response)) {
    if (status->code && status->code->name == "CAPABILITY" && status->condition != Condition::bye) {
      capabilities_.clear();
      for (const auto& capability : status->code->list) capabilities_.insert(upper(capability));
      ++capability_updates_;
    }
  } else if (const auto* enabled = std::get_if<EnabledData>(&response)) {
    for (const auto& capability : enabled->capabilities) {
      enabled_.insert(upper(capability));
      if (upper(capability) == "QRESYNC") enabled_.insert("CONDSTORE");  // RFC 7162 §3.2.3
    }
  }
}

void SessionImpl::queue_segments(Flight& flight) {
  const auto& segments = flight.command->segments;
  while (flight.next_segment < segments.size()) {
    const CommandSegment& segment = segments[flight.next_segment++];
    if (log_) log_->client(segment.bytes, segment.sensitive);
    out_ += segment.bytes;
    if (segment.wait_for_continuation) {
      flight.awaiting_continuation = true;
      break;
    }
  }
}

void SessionImpl::flush() {
  if (out_.empty()) return;
  // One write for everything queued: a pipelined window leaves in as few packets as possible.
  connection_.write(out_);
  out_.clear();
  wrote_since_wait_ = true;
}

void SessionImpl::dispatch(Response&& response, std::deque<Flight>& flights) {
  // Untagged data belongs to the oldest command not yet completed (completions may come out of
  // order, so that is not necessarily the front's neighbour).
  auto oldest = std::find_if(flights.begin(), flights.end(), [](const Flight& f) { return !f.done; });
  if (auto* status = std::get_if<StatusResponse>(&response)) {
    if (status->tagged()) {
      auto it = std::find_if(flights.begin(), flights.end(),
                             [&](const Flight& f) { return !f.done && f.command->tag == status->tag; });
      if (it == flights.end()) {
        Error error = make_error(ErrorKind::protocol, "tagged response for a command not in flight");
        error.raw = status->tag + " " + status->text;
        die(std::move(error));
      }
      it->done = true;
      it->awaiting_continuation = false;
      it->result.status = std::move(*status);
      ++commands_;
      return;
    }
    if (status->condition == Condition::bye && oldest != flights.end() && oldest->command->name != "LOGOUT") {
      Error error = make_error(ErrorKind::bye, "server said BYE: " + status->text,
                               status->code ? status->code->name : std::string());
      error.raw = "* BYE " + status->text;
      die(std::move(error));
    }
  } else if (std::holds_alternative<ContinuationRequest>(response)) {
    if (oldest == flights.end()) die(make_error(ErrorKind::protocol, "continuation request with no command waiting"));
    if (oldest->awaiting_continuation) {
      oldest->awaiting_continuation = false;
      queue_segments(*oldest);
      return;
    }
    if (oldest->command->name == "AUTHENTICATE" && oldest->next_segment == oldest->command->segments.size()) {
      // A SASL challenge after our response (XOAUTH2 sends its error as one): answer with an
      // empty line to get the tagged NO.
      if (log_) log_->client(sasl_cancel_line());
      out_ += sasl_cancel_line();
      return;
    }
    die(make_error(ErrorKind::protocol, "unexpected continuation request"));
  }
  if (oldest != flights.end()) oldest->result.untagged.push_back(std::move(response));
}

void SessionImpl::execute(std::span<const Command> commands, std::size_t window,
                          const std::function<void(std::size_t, CommandResult&&)>& on_result) {
  if (!alive_) throw make_error(ErrorKind::connection, "the session is closed (an earlier error ended it)");
  window = std::max<std::size_t>(window, 1);
  std::deque<Flight> flights;
  std::size_t next = 0;
  try {
    while (next < commands.size() || !flights.empty()) {
      while (next < commands.size() && flights.size() < window) {
        const Command& command = commands[next];
        if (!flights.empty() && (exclusive(command) || exclusive(*flights.back().command))) break;
        Flight flight;
        flight.index = next++;
        flight.command = &command;
        flights.push_back(std::move(flight));
        queue_segments(flights.back());
      }
      flush();
      // A wait with the window full is not a round trip of its own: the wire stays busy.
      const bool idle = next == commands.size() || flights.size() < window;
      dispatch(read_response(idle), flights);
      flush();  // continuation segments
      while (!flights.empty() && flights.front().done) {
        Flight done = std::move(flights.front());
        flights.pop_front();
        on_result(done.index, std::move(done.result));
      }
    }
  } catch (Error& error) {
    alive_ = false;
    connection_.close();
    for (const Flight& flight : flights) {
      if (flight.done || flight.next_segment == 0) continue;
      error.command_in_flight = true;
      if (mutates(*flight.command)) error.command_mutates = true;
    }
    throw;
  } catch (...) {
    // on_result threw: responses of later commands are still on the wire, unread.
    alive_ = false;
    connection_.close();
    throw;
  }
}

CommandResult SessionImpl::run_checked(Command command) {
  CommandResult result = run(command);
  if (auto error = error_from(result.status)) {
    alive_ = false;
    connection_.close();
    throw std::move(*error);
  }
  return result;
}

void SessionImpl::refresh_capabilities() {
  run_checked(capability(tags_.next()));
}

void SessionImpl::authenticate() {
  const CommandOptions command_opts = command_options();
  const bool sasl_ir = has("SASL-IR");
  Command command;
  switch (options_.auth) {
    case AuthMechanism::plain:
      if (has("AUTH=PLAIN")) {
        command = authenticate_plain(command_opts, tags_.next(), options_.authcid, options_.password, options_.authzid,
                                     sasl_ir);
      } else if (options_.authzid.empty()) {
        command = login(command_opts, tags_.next(), options_.authcid, options_.password);
      } else {
        die(make_error(ErrorKind::no, "the server offers no AUTH=PLAIN, which an authzid login needs"));
      }
      break;
    case AuthMechanism::login:
      if (!options_.authzid.empty()) die(make_error(ErrorKind::no, "LOGIN cannot act as another user (authzid)"));
      command = login(command_opts, tags_.next(), options_.authcid, options_.password);
      break;
    case AuthMechanism::xoauth2:
      if (!has("AUTH=XOAUTH2")) die(make_error(ErrorKind::no, "the server does not offer AUTH=XOAUTH2"));
      command = authenticate_xoauth2(command_opts, tags_.next(), options_.authcid, options_.password, sasl_ir);
      break;
  }
  const std::uint64_t before = capability_updates_;
  run_checked(std::move(command));
  // What was announced before authentication no longer holds (RFC 3501 §6.2.2, RFC 9051 §7.1).
  if (capability_updates_ == before) refresh_capabilities();
}

void SessionImpl::open() {
  connection_.connect(options_.host, options_.port);
  if (log_) {
    const std::time_t now = std::time(nullptr);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    log_->comment("mailprune session " + options_.host + ":" + std::to_string(options_.port) + " " + when);
  }
  const detail::TlsSettings tls{options_.host, options_.verify_certificate, options_.ca_file};
  if (options_.transport == Transport::implicit_tls) connection_.start_tls(tls);

  Response greeting = read_response(false);
  const auto* status = std::get_if<StatusResponse>(&greeting);
  if (status == nullptr || status->tagged()) die(make_error(ErrorKind::protocol, "the server sent no greeting"));
  if (status->condition == Condition::bye) {
    die(make_error(ErrorKind::bye, "server said BYE at greeting: " + status->text,
                   status->code ? status->code->name : std::string()));
  }
  if (status->condition != Condition::ok && status->condition != Condition::preauth) {
    die(make_error(ErrorKind::protocol, "unexpected greeting: " + status->text));
  }
  const bool preauth = status->condition == Condition::preauth;

  if (options_.transport == Transport::starttls) {
    if (preauth) die(make_error(ErrorKind::connection, "PREAUTH greeting: STARTTLS is no longer possible"));
    if (capabilities_.empty()) refresh_capabilities();
    if (!has("STARTTLS")) die(make_error(ErrorKind::connection, "the server does not offer STARTTLS"));
    const CommandOptions plain_opts;
    run_checked(CommandWriter(plain_opts, tags_.next(), "STARTTLS").finish());
    // Bytes after the OK and before the handshake were injected by someone (CVE-2011-0411 style).
    if (in_pos_ < in_.size()) die(make_error(ErrorKind::protocol, "data after STARTTLS OK, before TLS"));
    connection_.start_tls(tls);
    if (log_) log_->comment("STARTTLS: TLS from here on");
    capabilities_.clear();  // never trust what was said before TLS
    refresh_capabilities();
  } else if (capabilities_.empty()) {
    refresh_capabilities();
  }

  if (!preauth) authenticate();

  if (has("ENABLE")) {
    if (has("QRESYNC")) {
      run(enable(tags_.next(), {"QRESYNC"}));
    } else if (has("CONDSTORE")) {
      run(enable(tags_.next(), {"CONDSTORE"}));
    }
  }
  if (options_.compress && has("COMPRESS=DEFLATE")) {
    if (run(compress_deflate(tags_.next())).ok()) {
      // Whatever already arrived after the OK is the start of the compressed stream.
      connection_.start_compression(std::string_view(in_).substr(in_pos_));
      in_.clear();
      in_pos_ = 0;
      if (log_) log_->compression_started();
    }
  }
  if (has("ID")) run(id(command_options(), tags_.next(), {{"name", "mailprune"}, {"version", "0.1.0"}}));
}

void SessionImpl::close() noexcept {
  if (alive_) {
    try {
      // LOGOUT is a courtesy: do not let it hold a thread for long.
      connection_.set_timeout(std::min(options_.timeout, std::chrono::milliseconds(2000)));
      run(logout(tags_.next()));
    } catch (...) {  // NOLINT(bugprone-empty-catch): best effort by contract
    }
  }
  alive_ = false;
  connection_.close();
}

}  // namespace

std::unique_ptr<Session> Session::open(const SessionOptions& options) {
  auto session = std::make_unique<SessionImpl>(options);
  session->open();
  return session;
}

}  // namespace mailprune::imap
