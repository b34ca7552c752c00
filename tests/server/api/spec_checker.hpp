// spec_checker.hpp: checks JSON values against the schemas of docs/openapi.json, for the subset
// of OpenAPI 3.0 that file uses: $ref (local), type (object, array, string, integer, number,
// boolean), nullable, required, properties, items, enum, allOf. Returns what does not conform, as
// "path: problem" lines ("" when it conforms).
#pragma once

#include <nlohmann/json.hpp>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace mailprune::test {

class OpenApiSpec {
 public:
  explicit OpenApiSpec(const std::string& file) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    spec_ = nlohmann::json::parse(text.str());
  }
  const nlohmann::json& json() const { return spec_; }

  // The operation object for (method, path pattern), or nullptr.
  const nlohmann::json* operation(const std::string& method, const std::string& pattern) const {
    auto paths = spec_.find("paths");
    if (paths == spec_.end() || !paths->contains(pattern)) return nullptr;
    std::string lower;
    for (char c : method) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto& item = (*paths)[pattern];
    if (!item.contains(lower)) return nullptr;
    return &item[lower];
  }

  // Problems with a response of `status` and JSON `body` for the operation ("" none). A status the
  // operation does not list is a problem; so is a body whose shape breaks the listed schema.
  std::string check_response(const std::string& method, const std::string& pattern, int status,
                             const std::string& body) const {
    const nlohmann::json* op = operation(method, pattern);
    if (!op) return method + " " + pattern + ": not in the spec";
    std::string code = std::to_string(status);
    if (!(*op)["responses"].contains(code)) return method + " " + pattern + ": status " + code + " not in the spec";
    const auto& response = (*op)["responses"][code];
    if (!response.contains("content")) return body.empty() ? "" : "status " + code + " should have no body";
    if (!response["content"].contains("application/json")) return "";
    auto value = nlohmann::json::parse(body, nullptr, false);
    if (value.is_discarded()) return "status " + code + ": body is not JSON";
    return check(response["content"]["application/json"]["schema"], value, "$");
  }

  std::string check(const nlohmann::json& schema_in, const nlohmann::json& value, const std::string& path) const {
    const nlohmann::json& schema = resolve(schema_in);
    if (value.is_null()) {
      return schema.value("nullable", false) ? "" : path + ": null where the schema does not allow it\n";
    }
    if (schema.contains("allOf")) {
      std::string problems;
      for (const auto& part : schema["allOf"]) problems += check(part, value, path);
      return problems;
    }
    std::string type = schema.value("type", "");
    if (type == "object" && !value.is_object()) return path + ": not an object\n";
    if (type == "array" && !value.is_array()) return path + ": not an array\n";
    if (type == "string" && !value.is_string()) return path + ": not a string\n";
    if (type == "integer" && !value.is_number_integer()) return path + ": not an integer\n";
    if (type == "number" && !value.is_number()) return path + ": not a number\n";
    if (type == "boolean" && !value.is_boolean()) return path + ": not a boolean\n";
    std::string problems;
    if (schema.contains("enum")) {
      bool found = false;
      for (const auto& allowed : schema["enum"]) found = found || allowed == value;
      if (!found) problems += path + ": " + value.dump() + " is not one of " + schema["enum"].dump() + "\n";
    }
    if (type == "object") {
      for (const auto& name : schema.value("required", nlohmann::json::array())) {
        if (!value.contains(name.get<std::string>())) problems += path + ": missing " + name.get<std::string>() + "\n";
      }
      if (schema.contains("properties")) {
        for (const auto& [name, sub] : schema["properties"].items()) {
          if (value.contains(name)) problems += check(sub, value[name], path + "." + name);
        }
        // Fields the spec does not know are a contract drift too.
        for (const auto& [name, sub] : value.items()) {
          if (!schema["properties"].contains(name)) problems += path + ": field " + name + " not in the spec\n";
        }
      }
    }
    if (type == "array" && schema.contains("items")) {
      for (std::size_t i = 0; i < value.size(); ++i) {
        problems += check(schema["items"], value[i], path + "[" + std::to_string(i) + "]");
      }
    }
    return problems;
  }

 private:
  const nlohmann::json& resolve(const nlohmann::json& schema) const {
    if (!schema.contains("$ref")) return schema;
    std::string ref = schema["$ref"].get<std::string>();
    const std::string prefix = "#/components/schemas/";
    return resolve(spec_["components"]["schemas"][ref.substr(prefix.size())]);
  }

  nlohmann::json spec_;
};

}  // namespace mailprune::test
