# SPDX-License-Identifier: Apache-2.0
"""A small client of the Kubernetes CRI API (runtime.v1) for the e2e tests:
just the calls a kubelet makes to run one pod with one container, encoded by
hand in protobuf's wire format (no generated stubs, no .proto files), sent
over gRPC with Debian's python3-grpcio. Field numbers are those of
k8s.io/cri-api's runtime/v1 api.proto."""
import grpc

# ---- protobuf wire format --------------------------------------------------


def _varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _key(field, wire):
    return _varint(field << 3 | wire)


def msg(*fields):
    """fields: (number, value) pairs; value is bytes/str (length-delimited,
    also a nested msg()), int or bool (varint). None values are left out."""
    out = bytearray()
    for num, val in fields:
        if val is None:
            continue
        if isinstance(val, bool) or isinstance(val, int):
            out += _key(num, 0) + _varint(int(val))
        else:
            data = val.encode() if isinstance(val, str) else val
            out += _key(num, 2) + _varint(len(data)) + data
    return bytes(out)


def strmap(num, d):
    """A map<string,string> field: repeated entries {1: key, 2: value}."""
    return [(num, msg((1, k), (2, v))) for k, v in d.items()]


def decode(data):
    """{field: [values]}: varints as int, length-delimited as bytes."""
    out, i = {}, 0
    while i < len(data):
        key, i = _read_varint(data, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            val, i = _read_varint(data, i)
        elif wire == 2:
            n, i = _read_varint(data, i)
            val, i = data[i:i + n], i + n
        elif wire == 1:
            val, i = data[i:i + 8], i + 8
        elif wire == 5:
            val, i = data[i:i + 4], i + 4
        else:
            raise ValueError(f"wire type {wire}")
        out.setdefault(num, []).append(val)
    return out


def _read_varint(data, i):
    n = shift = 0
    while True:
        b = data[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


# ---- runtime.v1.RuntimeService ---------------------------------------------

NODE = 2  # NamespaceMode: the node's own namespace (no CNI needed)
CONTAINER_STATES = {0: "CREATED", 1: "RUNNING", 2: "EXITED", 3: "UNKNOWN"}


class Runtime:
    def __init__(self, socket_path, timeout=60):
        self.ch = grpc.insecure_channel("unix://" + socket_path)
        self.timeout = timeout

    def call(self, method, body):
        f = self.ch.unary_unary("/runtime.v1.RuntimeService/" + method,
                                request_serializer=None, response_deserializer=None)
        return decode(f(body, timeout=self.timeout))

    def version(self):
        r = self.call("Version", msg((1, "v1")))
        return r[2][0].decode(), r[3][0].decode()

    @staticmethod
    def sandbox_config(name, uid, log_dir):
        ns = msg((1, NODE), (2, NODE), (3, NODE))
        linux = msg((2, msg((1, ns))))
        return msg((1, msg((1, name), (2, uid), (3, "default"), (4, 0))), (3, log_dir),
                   (8, linux))

    def run_pod(self, config, handler):
        return self.call("RunPodSandbox", msg((1, config), (2, handler)))[1][0].decode()

    def create_container(self, pod, sandbox_config, name, image, args=(), envs=None,
                         log_path=None, annotations=None):
        fields = [(1, msg((1, name), (2, 0))), (2, msg((1, image)))]
        fields += [(4, a) for a in args]
        fields += [(6, msg((1, k), (2, v))) for k, v in (envs or {}).items()]
        fields += strmap(10, annotations or {})
        fields.append((11, log_path))
        body = msg((1, pod), (2, msg(*fields)), (3, sandbox_config))
        return self.call("CreateContainer", body)[1][0].decode()

    def start_container(self, cid):
        self.call("StartContainer", msg((1, cid)))

    def stop_container(self, cid, timeout=5):
        self.call("StopContainer", msg((1, cid), (2, timeout)))

    def remove_container(self, cid):
        self.call("RemoveContainer", msg((1, cid)))

    def container_status(self, cid):
        """(state name, exit code, reason, message)."""
        st = decode(self.call("ContainerStatus", msg((1, cid)))[1][0])
        code = st.get(7, [0])[0]
        code = code - (1 << 64) if code >= 1 << 63 else code
        return (CONTAINER_STATES.get(st.get(3, [0])[0], "?"), code,
                st.get(10, [b""])[0].decode(), st.get(11, [b""])[0].decode())

    def stop_pod(self, pod):
        self.call("StopPodSandbox", msg((1, pod)))

    def remove_pod(self, pod):
        self.call("RemovePodSandbox", msg((1, pod)))
