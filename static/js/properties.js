// Browser-side checks of config property values, following the rules of the server's
// property types (controlplane/stacks/properties.py). The server checks every value again.

export function numberRange(property) {
  let low = property.minimum ?? null;
  let high = property.maximum ?? null;
  if (property.type === "port") {
    low = low ?? 1;
    high = high ?? 65535;
  }
  return { low, high };
}

function rangeRule(property) {
  const { low, high } = numberRange(property);
  if (low !== null && high !== null) {
    return `must be an integer between ${low} and ${high}`;
  }
  if (low !== null) {
    return `must be an integer of at least ${low}`;
  }
  if (high !== null) {
    return `must be an integer of at most ${high}`;
  }
  return "must be an integer";
}

// Return a problem message for value, or "" when the value is valid.
export function propertyProblem(property, value) {
  if (value === null || value === undefined || value === "") {
    if (property.required) {
      return "a value is required";
    }
    if (["int", "port", "path"].includes(property.type)) {
      return property.type === "path" ? "must be a non-empty path" : rangeRule(property);
    }
    return "";
  }
  if (property.type === "int" || property.type === "port") {
    const text = String(value).trim();
    const { low, high } = numberRange(property);
    if (!/^[+-]?\d+$/.test(text)) {
      return rangeRule(property);
    }
    const number = Number(text);
    if ((low !== null && number < low) || (high !== null && number > high)) {
      return rangeRule(property);
    }
    return "";
  }
  if (property.type === "bool") {
    return typeof value === "boolean" ? "" : "must be true or false";
  }
  const text = String(value);
  if (text.includes("\u0000")) {
    return "must not contain a NUL character";
  }
  if (property.type !== "longtext" && /[\r\n]/.test(text)) {
    return "must be a single line";
  }
  if (property.type === "path" && !text.trim()) {
    return "must be a non-empty path";
  }
  if (property.type === "enum" && !(property.choices || []).includes(text)) {
    return `must be one of ${(property.choices || []).join(", ")}`;
  }
  return "";
}

// The value to send for an edited field: numbers as typed (the server converts and checks
// them), everything else unchanged.
export function valueToSend(property, value) {
  if ((property.type === "int" || property.type === "port") && /^\s*[+-]?\d+\s*$/.test(String(value))) {
    return Number(value);
  }
  return value;
}
