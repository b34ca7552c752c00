// Session against the scripted server: opening and authentication paths, pipelining, literals,
// and failures on purpose (drops, hangs, NO/BAD, garbage). Every scenario lives in scenarios/.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "imap/session.hpp"
#include "scripted_server.hpp"

namespace mailprune::imap::test {
namespace {

using namespace std::chrono_literals;

SessionOptions options_for(const ScriptedServer& server) {
  SessionOptions options;
  options.host = "127.0.0.1";
  options.port = server.port();
  options.transport = Transport::plain;
  options.authcid = "alice";
  options.password = "secret";
  options.timeout = 300ms;
  return options;
}

void expect_script_played(ScriptedServer& server) {
  for (const auto& failure : server.finish()) ADD_FAILURE() << failure;
}

Error open_error(const SessionOptions& options) {
  try {
    Session::open(options);
  } catch (const Error& error) {
    return error;
  }
  ADD_FAILURE() << "Session::open did not throw";
  return {};
}

Error run_error(Session& session, const Command& command) {
  try {
    session.run(command);
  } catch (const Error& error) {
    return error;
  }
  ADD_FAILURE() << "run did not throw";
  return {};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "/" + name + "-" + std::to_string(::getpid()) + ".log";
}

TEST(ImapSessionTranscript, ScenarioMatcherCapturesTagsAndGlobs) {
  std::vector<std::pair<std::string, std::string>> captures;
  EXPECT_TRUE(match_client_line("{tag} UID FETCH 1:* (UID)", "M0001 UID FETCH 1:* (UID)", captures));
  ASSERT_EQ(captures.size(), 1u);
  EXPECT_EQ(captures[0].second, "M0001");
  EXPECT_TRUE(match_client_line("{tag} LOGIN alice ***", "M0002 LOGIN alice \"p w\"", captures));
  EXPECT_EQ(captures[0].second, "M0002");
  EXPECT_TRUE(match_client_line("{tag} APPEND INBOX {5}", "M0003 APPEND INBOX {5}", captures));
  EXPECT_FALSE(match_client_line("{tag} NOOP", "M0004 NOOP extra", captures));
  EXPECT_FALSE(match_client_line("{tag} NOOP", " NOOP", captures));
  EXPECT_THROW(parse_scenario("S: ok\nQ: what\n", "bad"), std::runtime_error);
}

TEST(ImapSessionTranscript, ScriptedServerReportsMismatchesWithTheScenarioLine) {
  ScriptedServer server(
      "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
      "C: {tag} CAPABILITY\n"
      "S: {tag} OK never sent\n");
  SessionOptions options;
  options.host = "127.0.0.1";
  options.port = server.port();
  options.transport = Transport::plain;
  options.timeout = 300ms;
  auto session = Session::open(options);
  EXPECT_THROW(session->run(noop(session->tags().next())), Error);  // the server hangs up on a mismatch
  const std::vector<std::string> failures = server.finish();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].rfind("inline:2: expected C: {tag} CAPABILITY", 0), 0u) << failures[0];
  EXPECT_NE(failures[0].find("got C: M0001 NOOP"), std::string::npos) << failures[0];
}

TEST(ImapSessionTranscript, SaslIrLoginTakesCapabilitiesFromTaggedOk) {
  ScriptedServer server(load_scenario("sasl_ir_login.txt"));
  auto session = Session::open(options_for(server));
  EXPECT_TRUE(session->has("LITERAL+"));
  EXPECT_TRUE(session->has("BINARY"));
  EXPECT_FALSE(session->has("SASL-IR")) << "pre-auth capabilities must be replaced";
  EXPECT_TRUE(session->command_options().literal_plus);
  EXPECT_FALSE(session->compressed());
  const CommandResult noop_result = session->run(noop(session->tags().next()));
  EXPECT_TRUE(noop_result.ok());
  EXPECT_EQ(session->traffic().commands, 3u);
  session->close();
  EXPECT_FALSE(session->alive());
  expect_script_played(server);
}

TEST(ImapSessionTranscript, SaslWithoutIrAnswersTheContinuationAndActsAsAuthzid) {
  ScriptedServer server(load_scenario("sasl_continuation_authzid.txt"));
  SessionOptions options = options_for(server);
  options.authcid = "admin";
  options.authzid = "bob";
  auto session = Session::open(options);
  EXPECT_TRUE(session->has("UIDPLUS"));
  EXPECT_FALSE(session->has("STARTTLS"));
  expect_script_played(server);
}

TEST(ImapSessionTranscript, LoginFallbackAndEnableQresync) {
  ScriptedServer server(load_scenario("login_fallback.txt"));
  auto session = Session::open(options_for(server));
  EXPECT_EQ(session->enabled(), (std::set<std::string>{"CONDSTORE", "QRESYNC"}));
  expect_script_played(server);
}

TEST(ImapSessionTranscript, PreauthSkipsAuthentication) {
  ScriptedServer server(
      "S: * PREAUTH [CAPABILITY IMAP4rev1 ID] welcome back\n"
      "C: {tag} ID (\"name\" \"mailprune\" \"version\" \"0.1.0\")\n"
      "S: {tag} NO ID disabled\n");
  auto session = Session::open(options_for(server));
  EXPECT_TRUE(session->alive());
  EXPECT_TRUE(session->has("IMAP4REV1"));
  expect_script_played(server);
}

TEST(ImapSessionTranscript, ByeAtGreetingIsARetriableByeError) {
  ScriptedServer server("S: * BYE [UNAVAILABLE] Too many connections\n");
  const Error error = open_error(options_for(server));
  EXPECT_EQ(error.kind, ErrorKind::bye);
  EXPECT_EQ(error.code, "UNAVAILABLE");
  EXPECT_TRUE(error.retriable());
  expect_script_played(server);
}

TEST(ImapSessionTranscript, AuthenticationNoIsKindNoAndNeverShowsThePassword) {
  ScriptedServer server(load_scenario("auth_no.txt"));
  const Error error = open_error(options_for(server));
  EXPECT_EQ(error.kind, ErrorKind::no);
  EXPECT_EQ(error.code, "AUTHENTICATIONFAILED");
  EXPECT_FALSE(error.retriable());
  EXPECT_EQ(error.message.find("secret"), std::string::npos);
  EXPECT_EQ(error.raw.find("AGFsaWNl"), std::string::npos);
  expect_script_played(server);
}

TEST(ImapSessionTranscript, Xoauth2ChallengeIsAnsweredWithAnEmptyLine) {
  ScriptedServer server(
      "S: * OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] hi\n"
      "C: {tag} AUTHENTICATE XOAUTH2 ***\n"
      "S: + eyJzdGF0dXMiOiI0MDEifQ==\n"
      "C: \n"
      "S: {tag} NO [AUTHENTICATIONFAILED] Invalid credentials\n");
  SessionOptions options = options_for(server);
  options.auth = AuthMechanism::xoauth2;
  const Error error = open_error(options);
  EXPECT_EQ(error.kind, ErrorKind::no);
  EXPECT_EQ(error.code, "AUTHENTICATIONFAILED");
  expect_script_played(server);
}

TEST(ImapSessionTranscript, StartTlsIsRequiredWhenAsked) {
  ScriptedServer server("S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] no tls here\n");
  SessionOptions options = options_for(server);
  options.transport = Transport::starttls;
  const Error error = open_error(options);
  EXPECT_EQ(error.kind, ErrorKind::connection);
  EXPECT_NE(error.message.find("STARTTLS"), std::string::npos);
  expect_script_played(server);
}

TEST(ImapSessionTranscript, PipelinedFetchesAreAttributedToTheirCommands) {
  ScriptedServer server(load_scenario("pipelined_fetch.txt"));
  auto session = Session::open(options_for(server));
  std::vector<Command> commands;
  for (const char* set : {"1:2", "3:4", "5"}) {
    commands.push_back(uid_fetch(session->tags().next(), set, {"UID", "RFC822.SIZE"}));
  }
  std::vector<std::size_t> order;
  std::vector<CommandResult> results(3);
  session->run_pipelined(commands, 2, [&](std::size_t index, CommandResult&& result) {
    order.push_back(index);
    results[index] = std::move(result);
  });
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2}));
  auto uids = [](const CommandResult& result) {
    std::vector<std::uint32_t> out;
    for (const auto& response : result.untagged) {
      if (const auto* fetch = std::get_if<FetchMessage>(&response)) out.push_back(fetch->uid.value_or(0));
    }
    return out;
  };
  EXPECT_EQ(uids(results[0]), (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(uids(results[1]), (std::vector<std::uint32_t>{3}));
  EXPECT_EQ(uids(results[2]), (std::vector<std::uint32_t>{5}));
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(results[2].status.condition, Condition::no);
  ASSERT_TRUE(results[2].status.code.has_value());
  EXPECT_EQ(results[2].status.code->name, "SERVERBUG");
  EXPECT_EQ(session->traffic().commands, 3u);
  EXPECT_TRUE(session->alive());
  expect_script_played(server);
}

TEST(ImapSessionTranscript, OutOfOrderCompletionsAreStillDeliveredInOrder) {
  ScriptedServer server(
      "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
      "C: {a} NOOP\n"
      "C: {b} NOOP\n"
      "S: {b} OK second\n"
      "S: {a} OK first\n");
  auto session = Session::open(options_for(server));
  std::vector<Command> commands{noop(session->tags().next()), noop(session->tags().next())};
  std::vector<std::string> texts;
  session->run_pipelined(commands, 8,
                         [&](std::size_t, CommandResult&& result) { texts.push_back(result.status.text); });
  EXPECT_EQ(texts, (std::vector<std::string>{"first", "second"}));
  expect_script_played(server);
}

TEST(ImapSessionTranscript, SynchronizingLiteralWaitsForContinuationAndIsNotPipelined) {
  ScriptedServer server(load_scenario("append_continuation.txt"));
  auto session = Session::open(options_for(server));
  const CommandOptions command_opts = session->command_options();
  std::vector<Command> commands;
  commands.push_back(noop(session->tags().next()));
  commands.push_back(append(command_opts, session->tags().next(), *Mailbox::from_utf8("INBOX"), {}, {}, "hello"));
  commands.push_back(noop(session->tags().next()));
  std::vector<bool> ok;
  session->run_pipelined(commands, 8, [&](std::size_t, CommandResult&& result) { ok.push_back(result.ok()); });
  EXPECT_EQ(ok, (std::vector<bool>{true, true, true}));
  expect_script_played(server);
}

TEST(ImapSessionTranscript, DropInTheMiddleOfALiteralIsAConnectionError) {
  ScriptedServer server(load_scenario("drop_mid_literal.txt"));
  auto session = Session::open(options_for(server));
  const Error error = run_error(*session, uid_fetch(session->tags().next(), "7", {"BODY.PEEK[]"}));
  EXPECT_EQ(error.kind, ErrorKind::connection);
  EXPECT_TRUE(error.command_in_flight);
  EXPECT_FALSE(error.command_mutates);
  EXPECT_FALSE(error.outcome_unknown());
  EXPECT_TRUE(error.retriable());
  EXPECT_FALSE(session->alive());
  // A dead session refuses further work instead of writing into a closed socket.
  EXPECT_EQ(run_error(*session, noop(session->tags().next())).kind, ErrorKind::connection);
  expect_script_played(server);
}

TEST(ImapSessionTranscript, DropAfterAMoveLeavesTheOutcomeUnknown) {
  ScriptedServer server(load_scenario("drop_after_move.txt"));
  auto session = Session::open(options_for(server));
  const Error error = run_error(*session, uid_move({}, session->tags().next(), "3", *Mailbox::from_utf8("Trash")));
  EXPECT_EQ(error.kind, ErrorKind::connection);
  EXPECT_TRUE(error.command_in_flight);
  EXPECT_TRUE(error.command_mutates);
  EXPECT_TRUE(error.outcome_unknown());
  EXPECT_FALSE(session->alive());
  expect_script_played(server);
}

TEST(ImapSessionTranscript, HangIsATimeoutWithinTheConfiguredTimeout) {
  ScriptedServer server(load_scenario("hang.txt"));
  auto session = Session::open(options_for(server));
  const auto start = std::chrono::steady_clock::now();
  const Error error = run_error(*session, noop(session->tags().next()));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(error.kind, ErrorKind::timeout);
  EXPECT_TRUE(error.poisons_connection());
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 1000ms);
  EXPECT_FALSE(session->alive());
  expect_script_played(server);
}

TEST(ImapSessionTranscript, HangAtGreetingIsATimeout) {
  ScriptedServer server("W 5000\n");
  EXPECT_EQ(open_error(options_for(server)).kind, ErrorKind::timeout);
  expect_script_played(server);
}

TEST(ImapSessionTranscript, BadIsReturnedInStatusAndTheSessionGoesOn) {
  ScriptedServer server(
      "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
      "C: {tag} UID FETCH x (UID)\n"
      "S: {tag} BAD [CLIENTBUG] Invalid uidset\n"
      "C: {tag} NOOP\n"
      "S: {tag} OK fine\n");
  auto session = Session::open(options_for(server));
  const CommandResult bad = session->run(uid_fetch(session->tags().next(), "x", {"UID"}));
  EXPECT_EQ(bad.status.condition, Condition::bad);
  EXPECT_TRUE(session->alive());
  EXPECT_TRUE(session->run(noop(session->tags().next())).ok());
  expect_script_played(server);
}

TEST(ImapSessionTranscript, GarbageIsAParseErrorAndEndsTheSession) {
  ScriptedServer server(
      "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
      "C: {tag} NOOP\n"
      "S: * 3 FETCH (UID abc)\n");
  auto session = Session::open(options_for(server));
  const Error error = run_error(*session, noop(session->tags().next()));
  EXPECT_EQ(error.kind, ErrorKind::parse);
  EXPECT_NE(error.raw.find("UID abc"), std::string::npos);
  EXPECT_TRUE(error.command_in_flight);
  EXPECT_FALSE(session->alive());
  expect_script_played(server);
}

TEST(ImapSessionTranscript, UnknownTagIsAProtocolError) {
  ScriptedServer server(
      "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
      "C: {tag} NOOP\n"
      "S: Z999 OK whose?\n");
  auto session = Session::open(options_for(server));
  EXPECT_EQ(run_error(*session, noop(session->tags().next())).kind, ErrorKind::protocol);
  EXPECT_FALSE(session->alive());
  expect_script_played(server);
}

TEST(ImapSessionTranscript, ByeDuringACommandIsAByeError) {
  ScriptedServer server(
      "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
      "C: {tag} NOOP\n"
      "S: * BYE Server shutting down\n");
  auto session = Session::open(options_for(server));
  const Error error = run_error(*session, noop(session->tags().next()));
  EXPECT_EQ(error.kind, ErrorKind::bye);
  EXPECT_FALSE(session->alive());
  expect_script_played(server);
}

TEST(ImapSessionTranscript, LargeLiteralIsStreamedToTheSinkInChunks) {
  ScriptedServer server(load_scenario("streamed_literal.txt"));
  SessionOptions options = options_for(server);
  options.framer_limits.stream_literals_above = 16;
  auto session = Session::open(options);
  std::string streamed;
  std::size_t chunks = 0;
  bool last_seen = false;
  session->set_literal_sink([&](const LiteralChunk& chunk) {
    EXPECT_EQ(chunk.response_so_far.rfind("* 1 FETCH", 0), 0u);
    EXPECT_EQ(chunk.offset, streamed.size());
    EXPECT_EQ(chunk.literal_size, 40u);
    streamed.append(chunk.bytes);
    ++chunks;
    last_seen = chunk.last;
  });
  const CommandResult result = session->run(uid_fetch(session->tags().next(), "9", {"UID", "BODY.PEEK[]"}));
  EXPECT_EQ(streamed, "Subject: streamed\r\n\r\n0123456789abcdefg\r\n");
  EXPECT_GE(chunks, 2u);
  EXPECT_TRUE(last_seen);
  ASSERT_EQ(result.untagged.size(), 1u);
  const auto& fetch = std::get<FetchMessage>(result.untagged[0]);
  EXPECT_EQ(fetch.uid, 9u);
  ASSERT_NE(fetch.body(""), nullptr);
  EXPECT_TRUE(fetch.body("")->streamed);
  expect_script_played(server);
}

TEST(ImapSessionTranscript, CompressDeflateBothWays) {
  ScriptedServer server(load_scenario("compress.txt"));
  auto session = Session::open(options_for(server));
  EXPECT_TRUE(session->compressed());
  const CommandResult result = session->run(uid_fetch(session->tags().next(), "1", {"BODY.PEEK[]"}));
  ASSERT_EQ(result.untagged.size(), 1u);
  EXPECT_EQ(std::get<FetchMessage>(result.untagged[0]).body("")->data, "hello world");
  const SessionTraffic traffic = session->traffic();
  EXPECT_GT(traffic.bytes_inflated, 0u);
  EXPECT_NE(traffic.bytes_inflated, traffic.bytes_received);
  expect_script_played(server);
}

TEST(ImapSessionTranscript, TrafficCountersAreExact) {
  const std::string greeting = "* PREAUTH [CAPABILITY IMAP4rev1] hi";
  ScriptedServer server("S: " + greeting + "\nC: {tag} NOOP\nS: {tag} OK done\n");
  auto session = Session::open(options_for(server));
  EXPECT_EQ(session->traffic().round_trips, 0u);
  session->run(noop(session->tags().next()));
  const SessionTraffic traffic = session->traffic();
  EXPECT_EQ(traffic.bytes_sent, std::string("M0001 NOOP\r\n").size());
  EXPECT_EQ(traffic.bytes_received, greeting.size() + 2 + std::string("M0001 OK done\r\n").size());
  EXPECT_EQ(traffic.bytes_inflated, traffic.bytes_received);
  EXPECT_EQ(traffic.commands, 1u);
  EXPECT_EQ(traffic.round_trips, 1u);
  expect_script_played(server);
}

TEST(ImapSessionTranscript, PipelinedBatchCountsOneRoundTrip) {
  ScriptedServer server(
      "S: * PREAUTH [CAPABILITY IMAP4rev1] hi\n"
      "C: {a} NOOP\nC: {b} NOOP\nC: {c} NOOP\n"
      "S: {a} OK\nS: {b} OK\nS: {c} OK\n");
  auto session = Session::open(options_for(server));
  std::vector<Command> commands;
  for (int i = 0; i < 3; ++i) commands.push_back(noop(session->tags().next()));
  session->run_pipelined(commands, 3, [](std::size_t, CommandResult&&) {});
  EXPECT_EQ(session->traffic().round_trips, 1u);
  expect_script_played(server);
}

// A session logged to a file; the log, unedited, is the scenario of a second identical session.
TEST(ImapSessionTranscript, TrafficLogReplaysAsAScenario) {
  const std::string log_path = temp_path("traffic");
  std::remove(log_path.c_str());
  auto run_session = [&](ScriptedServer& server, const std::string& traffic_log) {
    SessionOptions options = options_for(server);
    options.traffic_log = traffic_log;
    options.auth = AuthMechanism::login;
    options.password = "two words";  // a quoted string: masked all the same
    auto session = Session::open(options);
    const CommandResult result = session->run(uid_fetch(session->tags().next(), "4", {"UID", "BODY.PEEK[]"}));
    session->close();
    return std::get<FetchMessage>(result.untagged.at(0)).body("")->data;
  };
  ScriptedServer original(
      "S: * OK [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE] hi\n"
      "C: {tag} LOGIN alice \"two words\"\n"
      "S: {tag} OK [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE] in\n"
      "C: {tag} COMPRESS DEFLATE\n"
      "S: {tag} OK on\n"
      "Z\n"
      "C: {tag} UID FETCH 4 (UID BODY.PEEK[])\n"
      "S: * 2 FETCH (UID 4 BODY[] {12}\n"
      "L: line 1\\r\\n\\x00\\xff\\\\z\n"
      "S: )\n"
      "S: {tag} OK done\n"
      "C: {tag} LOGOUT\n"
      "S: * BYE bye\n"
      "S: {tag} OK bye\n");
  const std::string body = run_session(original, log_path);
  EXPECT_EQ(body, std::string("line 1\r\n\0\xff\\z", 12));
  expect_script_played(original);

  const std::string log = read_file(log_path);
  EXPECT_EQ(log.find("two words"), std::string::npos) << log;
  EXPECT_NE(log.find("C: M0001 LOGIN alice ***"), std::string::npos) << log;
  EXPECT_NE(log.find("\nZ\n"), std::string::npos) << log;

  ScriptedServer replay(parse_scenario(log, "traffic.log"));
  EXPECT_EQ(run_session(replay, ""), body);
  expect_script_played(replay);
  std::remove(log_path.c_str());
}

}  // namespace
}  // namespace mailprune::imap::test
