#include "archive/archive_http.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "archive/links.hpp"

namespace mailprune::archive {
namespace {

bool tchar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$&^_`|~+-.").find(static_cast<char>(c)) != std::string_view::npos;
}

// The reference's type when it is a plain type/subtype; anything else (parameters, CR/LF that
// would split the header) falls back to application/octet-stream.
std::string safe_content_type(std::string_view type) {
  auto slash = type.find('/');
  bool ok = slash != std::string_view::npos && slash > 0 && slash + 1 < type.size() && type.size() <= 255;
  for (std::size_t i = 0; ok && i < type.size(); ++i) ok = i == slash || tchar(static_cast<unsigned char>(type[i]));
  if (!ok) return "application/octet-stream";
  std::string out(type);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; });
  return out;
}

bool attr_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$&+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

ArchiveResponse error_response(int status, std::string body) {
  ArchiveResponse response;
  response.status = status;
  response.body = std::move(body);
  response.body += '\n';
  response.content_length = response.body.size();
  response.headers = {
      {"Content-Type", "text/plain; charset=utf-8"},
      {"Content-Length", std::to_string(response.content_length)},
      {"X-Content-Type-Options", "nosniff"},
      {"Cache-Control", "no-store"},
      {"Referrer-Policy", "no-referrer"},
  };
  return response;
}

}  // namespace

std::optional<std::string> ArchiveResponse::header(std::string_view name) const {
  auto lower = [](std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; });
    return out;
  };
  std::string wanted = lower(name);
  for (const auto& [key, value] : headers) {
    if (lower(key) == wanted) return value;
  }
  return std::nullopt;
}

std::string content_disposition(std::string_view file_name) {
  if (file_name.empty()) return "attachment";
  std::string ascii;
  std::string extended;
  for (std::size_t i = 0; i < file_name.size(); ++i) {
    auto c = static_cast<unsigned char>(file_name[i]);
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\' && c != '%') {
      ascii.push_back(static_cast<char>(c));
    } else if (c < 0x80 || c >= 0xC0) {
      ascii.push_back('_');  // one '_' per character: UTF-8 continuation bytes (0x80-0xBF) add none
    }
    if (attr_char(c)) {
      extended.push_back(static_cast<char>(c));
    } else {
      extended += fmt::format("%{:02X}", c);
    }
  }
  return fmt::format("attachment; filename=\"{}\"; filename*=UTF-8''{}", ascii, extended);
}

ArchiveResponse handle_archive_get(std::string_view path, std::string_view query, const security::Key& key,
                                   const ArchiveStore& store, const ReferenceLookup& lookup, std::int64_t now) {
  LinkCheck check = verify_link(path, query, key, now);
  switch (check.error) {
    case LinkError::none:
      break;
    case LinkError::malformed:
      return error_response(400,
                            "Ce lien n'est pas un lien d'archive valide.\n"
                            "This is not a valid archive link.");
    case LinkError::bad_signature:
      return error_response(403,
                            "Ce lien a été modifié ou n'a pas été émis par ce serveur.\n"
                            "This link was altered or was not issued by this server.");
    case LinkError::expired:
      return error_response(403,
                            "Ce lien a expiré. Demandez un nouveau lien à votre administrateur.\n"
                            "This link has expired. Ask your administrator for a new one.");
  }

  std::optional<ArchiveReference> reference = lookup(check.target.reference_id);
  if (!reference || reference->sha256 != check.target.sha256 || reference->source.file_name != check.target.file_name) {
    return error_response(404,
                          "Cette pièce jointe archivée est introuvable.\n"
                          "This archived attachment cannot be found.");
  }
  if (reference->revoked()) {
    return error_response(410,
                          "Cette pièce jointe archivée n'est plus disponible.\n"
                          "This archived attachment is no longer available.");
  }
  std::optional<std::uint64_t> size = store.size(check.target.sha256);
  if (!size) {
    return error_response(500,
                          "La pièce jointe archivée ne peut pas être lue. Prévenez votre administrateur.\n"
                          "The archived attachment cannot be read. Please tell your administrator.");
  }

  ArchiveResponse response;
  response.status = 200;
  response.content_length = *size;
  response.headers = {
      {"Content-Type", safe_content_type(reference->source.content_type)},
      {"Content-Disposition", content_disposition(reference->source.file_name)},
      {"Content-Length", std::to_string(*size)},
      {"X-Content-Type-Options", "nosniff"},
      {"Cache-Control", "private"},
      {"Content-Security-Policy", "sandbox; default-src 'none'"},
      {"Referrer-Policy", "no-referrer"},
  };
  Sha256 sha256 = check.target.sha256;
  response.write_body = [&store, sha256](const ByteSink& sink) { return store.read(sha256, sink); };
  return response;
}

}  // namespace mailprune::archive
