// One SOAP request: parse (libxml2 DOM), schema-check, find the mailbox (impersonation,
// delegate, own), count, apply a scripted fault, run the operation, wrap and schema-check the
// response.
#include <algorithm>

#include <libxml/parser.h>

#include "ews_server/ids.hpp"
#include "ews_server/schema_validator.hpp"
#include "ews_server/server_impl.hpp"

namespace mailprune::ews_test {
namespace {

constexpr std::uint64_t kValidateWholeLimit = 4u * 1024 * 1024;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

const char* kEnvelopeStart =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
    "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">"
    "<s:Header><h:ServerVersionInfo MajorVersion=\"15\" MinorVersion=\"1\" MajorBuildNumber=\"2507\" "
    "MinorBuildNumber=\"6\" Version=\"V2017_07_11\" "
    "xmlns:h=\"http://schemas.microsoft.com/exchange/services/2006/types\" "
    "xmlns=\"http://schemas.microsoft.com/exchange/services/2006/types\" "
    "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"/>"
    "</s:Header><s:Body xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
    "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">";
const char* kEnvelopeEnd = "</s:Body></s:Envelope>";

// The body element with the m: and t: namespaces declared on it, as Exchange writes them.
std::string declare_namespaces(std::string body_element) {
  std::size_t end = std::min(body_element.find_first_of(" >/"), body_element.size());
  body_element.insert(end, " xmlns:m=\"" + std::string(kMessagesNs) + "\" xmlns:t=\"" + kTypesNs + "\"");
  return body_element;
}

Answer fault_answer(const std::string& code, const std::string& message, const std::string& message_xml = {}) {
  XmlWriter xml;
  xml.raw("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
  xml.raw("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><s:Fault>");
  xml.raw("<faultcode xmlns:a=\"http://schemas.microsoft.com/exchange/services/2006/types\">");
  xml.raw(code == "ErrorSchemaValidation" ? "a:ErrorSchemaValidation" : "a:" + code);
  xml.raw("</faultcode>");
  xml.leaf("faultstring", message, {{"xml:lang", "en-US"}});
  xml.raw("<detail>");
  xml.leaf("e:ResponseCode", code, {{"xmlns:e", kErrorsNs}});
  xml.leaf("e:Message", message, {{"xmlns:e", kErrorsNs}});
  if (!message_xml.empty()) {
    xml.raw("<t:MessageXml xmlns:t=\"" + std::string(kTypesNs) + "\">" + message_xml + "</t:MessageXml>");
  }
  xml.raw("</detail></s:Fault></s:Body></s:Envelope>");
  Answer answer;
  answer.status = 500;
  answer.body.append_text(xml.take());
  return answer;
}

// Container a response message of `operation` must carry even when it is an error.
const char* required_container(const std::string& operation) {
  if (operation == "GetItem" || operation == "UpdateItem" || operation == "MoveItem") return "m:Items";
  if (operation == "GetAttachment" || operation == "CreateAttachment") return "m:Attachments";
  return nullptr;
}

struct XmlDocument {
  xmlDocPtr doc = nullptr;
  ~XmlDocument() {
    if (doc) xmlFreeDoc(doc);
  }
};

// The mailbox a request names in a DistinguishedFolderId's <t:Mailbox> (delegate access), or "".
std::string delegate_mailbox(xmlNodePtr node) {
  for (xmlNodePtr child = node ? node->children : nullptr; child; child = child->next) {
    if (is_element(child, kTypesNs, "DistinguishedFolderId")) {
      xmlNodePtr mailbox = first_child(child, kTypesNs, "Mailbox");
      std::string address = node_text(first_child(mailbox, kTypesNs, "EmailAddress"));
      if (!address.empty()) return lower(address);
    }
    std::string inner = delegate_mailbox(child);
    if (!inner.empty()) return inner;
  }
  return {};
}

}  // namespace

Answer EwsTestServer::Impl::answer_soap(const HttpRequest& request, const Principal& principal) {
  XmlDocument document;
  document.doc = xmlReadMemory(request.body.data(), static_cast<int>(request.body.size()), "request.xml", nullptr,
                               XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_HUGE);
  xmlNodePtr envelope = document.doc ? xmlDocGetRootElement(document.doc) : nullptr;
  xmlNodePtr body = first_child(envelope, kSoapNs, "Body");
  xmlNodePtr operation_element = first_child(body, kMessagesNs, nullptr);
  std::string operation = operation_element ? reinterpret_cast<const char*>(operation_element->name) : "";

  const SchemaValidator* validator = nullptr;
  if (options.validate) {
    validator = &SchemaValidator::shared(options.schema_dir.empty() ? default_schema_dir() : options.schema_dir);
    std::string problems = validator->validate(request.body);
    if (!problems.empty()) {
      std::lock_guard lock(mutex);
      violations.push_back({"request", operation, request.body, problems});
      return fault_answer("ErrorSchemaValidation", "The request failed schema validation: " + problems,
                          "<t:LineNumber>0</t:LineNumber><t:LinePosition>0</t:LinePosition><t:Violation>" +
                              XmlWriter::escaped(problems) + "</t:Violation>");
    }
  }
  if (operation_element == nullptr || !is_element(envelope, kSoapNs, "Envelope")) {
    return fault_answer("ErrorInvalidRequest", "The request is invalid.");
  }

  // Who the request acts for.
  xmlNodePtr header = first_child(envelope, kSoapNs, "Header");
  xmlNodePtr impersonation = first_child(header, kTypesNs, "ExchangeImpersonation");
  std::string impersonated;
  if (impersonation) {
    xmlNodePtr sid = first_child(impersonation, kTypesNs, "ConnectingSID");
    for (const char* name : {"SmtpAddress", "PrimarySmtpAddress", "PrincipalName"}) {
      std::string value = node_text(first_child(sid, kTypesNs, name));
      if (!value.empty()) {
        impersonated = lower(value);
        break;
      }
    }
  }

  std::unique_lock lock(mutex);
  std::string target = !impersonated.empty() ? impersonated : principal.mailbox;
  std::string counted = target;
  if (counted.empty()) counted = delegate_mailbox(operation_element);
  if (counted.empty()) counted = lower(request.anchor_mailbox);
  ++operation_counts[operation];
  if (!counted.empty()) ++mailbox_counts[counted];

  if (!impersonated.empty()) {
    if (!principal.full_access) {
      return fault_answer("ErrorImpersonateUserDenied",
                          "The account does not have permission to impersonate the requested user.");
    }
    if (store.mailbox(impersonated) == nullptr) {
      return fault_answer("ErrorNonExistentMailbox", "The SMTP address has no mailbox associated with it.",
                          "<t:Value Name=\"SmtpAddress\">" + XmlWriter::escaped(impersonated) + "</t:Value>");
    }
  }

  // Scripted faults, first match wins.
  Answer prepared;
  for (auto it = faults.begin(); it != faults.end(); ++it) {
    if (!it->operation.empty() && it->operation != operation) continue;
    if (!it->mailbox.empty() && lower(it->mailbox) != counted) continue;
    Fault fault = *it;
    if (--it->count <= 0) faults.erase(it);
    switch (fault.kind) {
      case FaultKind::server_busy:
        return fault_answer(
            "ErrorServerBusy", "The server cannot service this request right now. Try again later.",
            "<t:Value Name=\"BackOffMilliseconds\">" + std::to_string(fault.back_off.count()) + "</t:Value>");
      case FaultKind::http_429:
      case FaultKind::http_503: {
        Answer answer;
        answer.status = fault.kind == FaultKind::http_429 ? 429 : 503;
        answer.content_type = "text/html";
        answer.headers.emplace_back("Retry-After", std::to_string(fault.retry_after_seconds));
        answer.body.append_text(answer.status == 429 ? "Too Many Requests" : "Service Unavailable");
        return answer;
      }
      case FaultKind::http_500: {
        Answer answer;
        answer.status = 500;
        answer.content_type = "text/html";
        answer.body.append_text("<html><body><h1>Server Error in '/EWS' Application.</h1></body></html>");
        return answer;
      }
      case FaultKind::too_many_objects_opened: {
        XmlWriter xml;
        xml.open(declare_namespaces("m:" + operation + "Response")).open("m:ResponseMessages");
        write_error_message(xml, operation, "ErrorTooManyObjectsOpened",
                            "The server has too many objects open. Try again later.", required_container(operation));
        xml.raw("</m:ResponseMessages></m:" + operation + "Response>");
        prepared.body.append_text(kEnvelopeStart);
        prepared.body.append_text(xml.str());
        prepared.body.append_text(kEnvelopeEnd);
        break;
      }
      case FaultKind::delay:
        prepared.delay = fault.delay;
        break;
      case FaultKind::close_mid_response:
        prepared.close_mid_response = true;
        break;
    }
    break;
  }

  if (prepared.body.pieces.empty()) {
    RequestContext context{store,  principal.name,        principal.full_access,
                           target, !impersonated.empty(), options.find_page_limit};
    try {
      ResponseBody result = handle_operation(operation, context, operation_element);
      prepared.body.append_text(kEnvelopeStart);
      bool first = true;
      for (auto& piece : result.pieces) {
        if (first && !piece.base64_of) {
          prepared.body.append_text(declare_namespaces(std::move(piece.text)));
        } else if (piece.base64_of) {
          prepared.body.append_base64(piece.base64_of);
        } else {
          prepared.body.append_text(std::move(piece.text));
        }
        first = false;
      }
      prepared.body.append_text(kEnvelopeEnd);
    } catch (const SoapFault& fault) {
      return fault_answer(fault.code, fault.message, fault.message_xml);
    } catch (const std::exception& error) {
      return fault_answer("ErrorInternalServerError",
                          std::string("An internal server error occurred: ") + error.what());
    }
  }
  lock.unlock();

  if (validator) {
    bool whole = prepared.body.content_bytes() <= kValidateWholeLimit;
    std::string envelope_text = prepared.body.materialise(!whole);
    std::string problems = validator->validate(envelope_text);
    if (!problems.empty()) {
      std::lock_guard relock(mutex);
      violations.push_back({"response", operation, envelope_text, problems});
      return fault_answer("ErrorInternalServerError", "The test server built an invalid response: " + problems);
    }
  }
  return prepared;
}

}  // namespace mailprune::ews_test
