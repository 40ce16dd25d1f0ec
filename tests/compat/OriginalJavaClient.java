// A Java client of the original contract, run from source by the compatibility test: it connects
// to /ws/inquiries?clientId=test with no sub-protocol, sends the Origin of the host it connects to
// (as Vert.x's client does), and parses every binary frame as one Inquiry with protobuf-java,
// from the descriptor of tests/compat/inquiry.proto (fields 1-11). One line per frame on stdout:
//   inquiry <id> <version> <status> <side> <quantity> <price> <position> <unknown field numbers>
// or "undecodable <reason>"; "connected" first; it exits 0 after <finals> DONE / NOT_DONE ones.
// Usage: java -cp protobuf-java.jar OriginalJavaClient.java <url> <origin> <descriptors> <finals>

import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

public final class OriginalJavaClient implements WebSocket.Listener {
    private final Descriptor inquiry;
    private final int wanted;
    private final ByteArrayOutputStream frame = new ByteArrayOutputStream();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private int finals;

    private OriginalJavaClient(Descriptor inquiry, int wanted) {
        this.inquiry = inquiry;
        this.wanted = wanted;
    }

    public static void main(String[] args) throws Exception {
        FileDescriptorSet set = FileDescriptorSet.parseFrom(Files.readAllBytes(Path.of(args[2])));
        FileDescriptor file = FileDescriptor.buildFrom(set.getFile(0), new FileDescriptor[0]);
        OriginalJavaClient client =
                new OriginalJavaClient(file.findMessageTypeByName("Inquiry"), Integer.parseInt(args[3]));
        WebSocket socket = HttpClient.newHttpClient()
                .newWebSocketBuilder()
                .header("Origin", args[1])
                .buildAsync(URI.create(args[0]), client)
                .get(30, TimeUnit.SECONDS);
        client.done.get(120, TimeUnit.SECONDS);
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);
        System.exit(0);
    }

    @Override
    public void onOpen(WebSocket socket) {
        System.out.println("connected");
        System.out.flush();
        socket.request(1);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket socket, ByteBuffer data, boolean last) {
        byte[] part = new byte[data.remaining()];
        data.get(part);
        frame.write(part, 0, part.length);
        if (last) {
            parse(frame.toByteArray());
            frame.reset();
        }
        socket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket socket, int code, String reason) {
        done.completeExceptionally(new IllegalStateException("closed " + code + " " + reason));
        return null;
    }

    @Override
    public void onError(WebSocket socket, Throwable error) {
        done.completeExceptionally(error);
    }

    private void parse(byte[] bytes) {
        DynamicMessage message;
        try {
            message = DynamicMessage.parseFrom(inquiry, bytes);
        } catch (InvalidProtocolBufferException error) {
            System.out.println("undecodable " + error.getMessage());
            return;
        }
        String status = field(message, "status");
        String unknown = message.getUnknownFields().asMap().keySet().stream()
                .map(String::valueOf)
                .collect(Collectors.joining(","));
        System.out.println(String.join(" ", "inquiry", field(message, "inquiry_id"),
                field(message, "version"), status, field(message, "side"),
                field(message, "quantity"), field(message, "price"), field(message, "position"),
                unknown.isEmpty() ? "-" : unknown));
        System.out.flush();
        if (status.equals("DONE") || status.equals("NOT_DONE")) {
            finals += 1;
            if (finals == wanted) {
                done.complete(null);
            }
        }
    }

    private String field(DynamicMessage message, String name) {
        FieldDescriptor field = inquiry.findFieldByName(name);
        return String.valueOf(message.getField(field));
    }
}
