// int64 fields as plain numbers: ids, cents and nanosecond stamps all fit well enough (stamps
// lose sub-microsecond digits, far below what the charts show). Imported before the generated
// code, whose int64 defaults are fixed when it loads.
import $protobuf from "protobufjs/minimal.js";

$protobuf.util.Long = null;
$protobuf.configure();
