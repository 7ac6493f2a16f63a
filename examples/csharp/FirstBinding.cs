// The RM route: P/Invoke into libsmartlink with a SafeHandle, running a first
// binding against the sandbox, then the same installation with its state in
// a store of the host's own (OwnStore: delegates behind
// smartlink_store_callbacks). Compiled with Mono's mcs and run with mono by
// the tests (smartlink-ffi/tests/examples.rs).
//
// Usage: mono FirstBinding.exe PLATFORM_URL TOKEN
// (libsmartlink.so must be on LD_LIBRARY_PATH; on Windows, smartlink.dll next
// to the executable.)
using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace Smartlink.Examples
{
    /// <summary>Owns a smartlink_configurator*; frees it exactly once, even
    /// when the caller forgets (the finalizer) or an exception unwinds.</summary>
    public sealed class ConfiguratorHandle : SafeHandle
    {
        public ConfiguratorHandle() : base(IntPtr.Zero, true) { }
        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }
        protected override bool ReleaseHandle()
        {
            Native.smartlink_configurator_free(handle); // joins the library's threads
            return true;
        }
    }

    internal static class Native
    {
        private const string Lib = "smartlink"; // libsmartlink.so / smartlink.dll

        public const uint OK = 0;
        public const uint BUFFER_TOO_SMALL = 7005;
        public const int OUTCOME_ADMIN_NEEDED = 2;
        public const int TASK_SUCCEEDED = 3;

        // Strings cross as UTF-8 bytes: marshal them by hand, so that neither
        // the runtime's ANSI code page nor UTF-16 gets in the way.
        [DllImport(Lib)] public static extern IntPtr smartlink_version();
        [DllImport(Lib)] public static extern IntPtr smartlink_result_message(uint code);
        [DllImport(Lib)] public static extern uint smartlink_configurator_new(byte[] configJson, out ConfiguratorHandle handle);
        [DllImport(Lib)] public static extern void smartlink_configurator_free(IntPtr handle);
        [DllImport(Lib)] public static extern uint smartlink_call(ConfiguratorHandle handle, byte[] request, byte[] output, UIntPtr outLen, out UIntPtr outNeeded);
        [DllImport(Lib)] public static extern uint smartlink_call_alloc(ConfiguratorHandle handle, byte[] request, out IntPtr output);
        [DllImport(Lib)] public static extern void smartlink_string_free(IntPtr s);
        [DllImport(Lib)] public static extern uint smartlink_needs_configuration(ConfiguratorHandle handle, [MarshalAs(UnmanagedType.I1)] out bool needed);
        [DllImport(Lib)] public static extern uint smartlink_ensure_configured(ConfiguratorHandle handle, out int outcome);
        [DllImport(Lib)] public static extern uint smartlink_wait_task(ConfiguratorHandle handle, uint timeoutMs, out int state);
        [DllImport(Lib)] public static extern uint smartlink_last_error_message(byte[] buf, UIntPtr len, out UIntPtr needed);
        [DllImport(Lib)] public static extern uint smartlink_configurator_new_with_store(byte[] configJson, ref StoreCallbacks store, out ConfiguratorHandle handle);
        [DllImport(Lib)] public static extern uint smartlink_seal_key_create(byte[] path);
        public const int OUTCOME_CONFIGURED = 1;

        public static byte[] Utf8z(string s)
        {
            byte[] b = Encoding.UTF8.GetBytes(s);
            Array.Resize(ref b, b.Length + 1); // the terminating NUL
            return b;
        }

        public static string FromUtf8z(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            int len = 0;
            while (Marshal.ReadByte(p, len) != 0) len++;
            byte[] b = new byte[len];
            Marshal.Copy(p, b, 0, len);
            return Encoding.UTF8.GetString(b);
        }

        public static string FromUtf8z(byte[] b)
        {
            int len = Array.IndexOf(b, (byte)0);
            return Encoding.UTF8.GetString(b, 0, len < 0 ? b.Length : len);
        }
    }

    /// <summary>A thin, exception-based wrapper, as an RM module would use it.</summary>
    public sealed class Configurator : IDisposable
    {
        private readonly ConfiguratorHandle h;

        public Configurator(string configJson)
        {
            uint rc = Native.smartlink_configurator_new(Native.Utf8z(configJson), out h);
            Check(rc, "smartlink_configurator_new");
        }

        /// <summary>A configurator whose state lives in the host's own store
        /// (the configuration's "state": {"kind": "callbacks", ...}).</summary>
        public Configurator(string configJson, StoreCallbacks store)
        {
            uint rc = Native.smartlink_configurator_new_with_store(Native.Utf8z(configJson), ref store, out h);
            Check(rc, "smartlink_configurator_new_with_store");
        }

        public static void Check(uint rc, string what)
        {
            if (rc == Native.OK) return;
            UIntPtr needed;
            Native.smartlink_last_error_message(null, UIntPtr.Zero, out needed);
            byte[] buf = new byte[(int)needed];
            Native.smartlink_last_error_message(buf, needed, out needed);
            throw new InvalidOperationException(what + ": " + rc + " " +
                Native.FromUtf8z(Native.smartlink_result_message(rc)) + ": " + Native.FromUtf8z(buf));
        }

        public bool NeedsConfiguration()
        {
            bool needed;
            Check(Native.smartlink_needs_configuration(h, out needed), "needs_configuration");
            return needed;
        }

        public int EnsureConfigured()
        {
            int outcome;
            Check(Native.smartlink_ensure_configured(h, out outcome), "ensure_configured");
            return outcome;
        }

        public int WaitTask(uint timeoutMs)
        {
            int state;
            Check(Native.smartlink_wait_task(h, timeoutMs, out state), "wait_task");
            return state;
        }

        /// <summary>Caller's buffer, grown to the size the library asks for.</summary>
        public string Call(string requestJson)
        {
            byte[] req = Native.Utf8z(requestJson);
            byte[] buf = new byte[64];
            UIntPtr needed;
            uint rc = Native.smartlink_call(h, req, buf, (UIntPtr)buf.Length, out needed);
            if (rc == Native.BUFFER_TOO_SMALL)
            {
                buf = new byte[(int)needed];
                rc = Native.smartlink_call(h, req, buf, (UIntPtr)buf.Length, out needed);
            }
            Check(rc, "smartlink_call");
            return Native.FromUtf8z(buf);
        }

        /// <summary>Library-allocated string, freed with smartlink_string_free.</summary>
        public string CallAlloc(string requestJson)
        {
            IntPtr p;
            Check(Native.smartlink_call_alloc(h, Native.Utf8z(requestJson), out p), "smartlink_call_alloc");
            try { return Native.FromUtf8z(p); }
            finally { Native.smartlink_string_free(p); }
        }

        public void Dispose() { h.Dispose(); }
    }

    // ---- The host's own store ---------------------------------------------
    // The table of smartlink_store_callbacks, as the header lays it out: the
    // library copies it during smartlink_configurator_new_with_store.
    [StructLayout(LayoutKind.Sequential)]
    public struct StoreCallbacks
    {
        public uint StructSize;   // Marshal.SizeOf(typeof(StoreCallbacks))
        public uint Version;      // SMARTLINK_STORE_CALLBACKS_VERSION
        public IntPtr Ctx;
        public IntPtr Load, CompareAndSwap, AcquireLease, RenewLease, ReleaseLease, ReleaseCtx;
    }

    // Every callback is cdecl (the default on x64, NOT on 32-bit .NET).
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate int LoadFn(IntPtr ctx, IntPtr installationId, IntPtr line, IntPtr document,
        UIntPtr capacity, IntPtr documentLen, IntPtr version);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate int CompareAndSwapFn(IntPtr ctx, IntPtr installationId, IntPtr line,
        ulong expectedVersion, IntPtr holder, ulong epoch, IntPtr document, UIntPtr documentLen,
        IntPtr version);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate int AcquireLeaseFn(IntPtr ctx, IntPtr installationId, IntPtr line,
        IntPtr holder, ulong ttlMs, IntPtr epoch, IntPtr version);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate int RenewLeaseFn(IntPtr ctx, IntPtr installationId, IntPtr line,
        IntPtr holder, ulong epoch, ulong ttlMs);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate int ReleaseLeaseFn(IntPtr ctx, IntPtr installationId, IntPtr line,
        IntPtr holder, ulong epoch);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate void ReleaseCtxFn(IntPtr ctx);

    /// <summary>A store of the host's own: one record (the sealed document,
    /// its version, the lease) in memory, behind a lock; an RM host would
    /// keep it in a table of its database, timing leases with the database's
    /// clock. The callbacks run on the library's threads, several at once:
    /// each takes the lock, never calls the library, and never lets an
    /// exception out (it would cross into native code): it answers
    /// UNREACHABLE instead.</summary>
    public sealed class OwnStore
    {
        public const int OK = 0, CONFLICT = 1, LEASE_LOST = 2, LEASE_HELD = 3, UNREACHABLE = 4,
            BUFFER_TOO_SMALL = 5;

        // The delegates live in static fields for the life of the process:
        // the garbage collector must never collect a delegate whose function
        // pointer the library holds.
        static readonly LoadFn load = Load;
        static readonly CompareAndSwapFn compareAndSwap = CompareAndSwap;
        static readonly AcquireLeaseFn acquireLease = AcquireLease;
        static readonly RenewLeaseFn renewLease = RenewLease;
        static readonly ReleaseLeaseFn releaseLease = ReleaseLease;
        static readonly ReleaseCtxFn releaseCtx = ReleaseCtx;

        readonly object gate = new object();
        public byte[] Document;          // null: none
        public ulong Version;
        public string Holder;            // null: nobody holds the lease
        public ulong Epoch;
        long expiresMs;                  // by this store's clock
        public int ContextsReleased;

        // The store's clock (the store lives in this process): monotonic.
        static long NowMs() { return Stopwatch.GetTimestamp() * 1000 / Stopwatch.Frequency; }

        /// <summary>The table for this store. ctx is a GCHandle to it, which
        /// release_ctx frees when the handle is freed.</summary>
        public StoreCallbacks Callbacks()
        {
            var t = new StoreCallbacks();
            t.StructSize = (uint)Marshal.SizeOf(typeof(StoreCallbacks));
            t.Version = 1;
            t.Ctx = GCHandle.ToIntPtr(GCHandle.Alloc(this));
            t.Load = Marshal.GetFunctionPointerForDelegate(load);
            t.CompareAndSwap = Marshal.GetFunctionPointerForDelegate(compareAndSwap);
            t.AcquireLease = Marshal.GetFunctionPointerForDelegate(acquireLease);
            t.RenewLease = Marshal.GetFunctionPointerForDelegate(renewLease);
            t.ReleaseLease = Marshal.GetFunctionPointerForDelegate(releaseLease);
            t.ReleaseCtx = Marshal.GetFunctionPointerForDelegate(releaseCtx);
            return t;
        }

        static OwnStore Of(IntPtr ctx) { return (OwnStore)GCHandle.FromIntPtr(ctx).Target; }

        bool Live() { return Holder != null && expiresMs > NowMs(); }

        static int Load(IntPtr ctx, IntPtr id, IntPtr line, IntPtr document, UIntPtr capacity,
            IntPtr documentLen, IntPtr version)
        {
            try
            {
                OwnStore s = Of(ctx);
                lock (s.gate)
                {
                    int len = s.Document == null ? 0 : s.Document.Length;
                    Marshal.WriteIntPtr(documentLen, new IntPtr(len));
                    if ((ulong)len > (ulong)capacity) return BUFFER_TOO_SMALL;
                    if (len > 0) Marshal.Copy(s.Document, 0, document, len);
                    Marshal.WriteInt64(version, (long)s.Version);
                    return OK;
                }
            }
            catch (Exception) { return UNREACHABLE; }
        }

        static int CompareAndSwap(IntPtr ctx, IntPtr id, IntPtr line, ulong expected, IntPtr holder,
            ulong epoch, IntPtr document, UIntPtr documentLen, IntPtr version)
        {
            try
            {
                OwnStore s = Of(ctx);
                string h = Native.FromUtf8z(holder);
                lock (s.gate)
                {
                    if (!s.Live() || s.Holder != h || s.Epoch != epoch) return LEASE_LOST;
                    if (s.Version != expected)
                    {
                        Marshal.WriteInt64(version, (long)s.Version);
                        return CONFLICT;
                    }
                    int len = (int)(ulong)documentLen;
                    byte[] copy = null; // the bytes are borrowed: copy them
                    if (len > 0)
                    {
                        copy = new byte[len];
                        Marshal.Copy(document, copy, 0, len);
                    }
                    s.Document = copy;
                    s.Version += 1;
                    Marshal.WriteInt64(version, (long)s.Version);
                    return OK;
                }
            }
            catch (Exception) { return UNREACHABLE; }
        }

        static int AcquireLease(IntPtr ctx, IntPtr id, IntPtr line, IntPtr holder, ulong ttlMs,
            IntPtr epoch, IntPtr version)
        {
            try
            {
                OwnStore s = Of(ctx);
                lock (s.gate)
                {
                    if (s.Live()) return LEASE_HELD; // even for the same holder
                    s.Holder = Native.FromUtf8z(holder);
                    s.Epoch += 1;
                    s.expiresMs = NowMs() + (long)ttlMs;
                    Marshal.WriteInt64(epoch, (long)s.Epoch);
                    Marshal.WriteInt64(version, (long)s.Version);
                    return OK;
                }
            }
            catch (Exception) { return UNREACHABLE; }
        }

        static int RenewLease(IntPtr ctx, IntPtr id, IntPtr line, IntPtr holder, ulong epoch,
            ulong ttlMs)
        {
            try
            {
                OwnStore s = Of(ctx);
                string h = Native.FromUtf8z(holder);
                lock (s.gate)
                {
                    if (!s.Live() || s.Holder != h || s.Epoch != epoch) return LEASE_LOST;
                    s.expiresMs = NowMs() + (long)ttlMs;
                    return OK;
                }
            }
            catch (Exception) { return UNREACHABLE; }
        }

        static int ReleaseLease(IntPtr ctx, IntPtr id, IntPtr line, IntPtr holder, ulong epoch)
        {
            try
            {
                OwnStore s = Of(ctx);
                string h = Native.FromUtf8z(holder);
                lock (s.gate)
                {
                    if (s.Holder == h && s.Epoch == epoch) { s.Holder = null; s.expiresMs = 0; }
                    return OK;
                }
            }
            catch (Exception) { return UNREACHABLE; }
        }

        // Once, when the handle is freed: the library is done with ctx.
        static void ReleaseCtx(IntPtr ctx)
        {
            try
            {
                GCHandle handle = GCHandle.FromIntPtr(ctx);
                OwnStore s = (OwnStore)handle.Target;
                lock (s.gate) { s.ContextsReleased += 1; }
                handle.Free();
            }
            catch (Exception) { }
        }

        public static bool Contains(byte[] haystack, byte[] needle)
        {
            for (int i = 0; needle.Length > 0 && i + needle.Length <= haystack.Length; i++)
            {
                int j = 0;
                while (j < needle.Length && haystack[i + j] == needle[j]) j++;
                if (j == needle.Length) return true;
            }
            return false;
        }
    }

    public static class Program
    {
        static void Expect(bool cond, string what)
        {
            if (!cond) throw new Exception("FAILED: " + what);
        }

        public static int Main(string[] args)
        {
            if (args.Length != 2) { Console.Error.WriteLine("usage: FirstBinding.exe URL TOKEN"); return 2; }
            Console.WriteLine("smartlink " + Native.FromUtf8z(Native.smartlink_version()));
            string config = "{\"platform_url\":\"" + args[0] + "\",\"token\":\"" + args[1] + "\"," +
                "\"state\":\"memory\",\"locale\":\"pt-BR\"," +
                "\"installation\":{\"id\":\"rm-csharp-01\",\"line\":\"rm\",\"kind\":\"homologation\"}}";
            using (var cfg = new Configurator(config))
            {
                Expect(cfg.NeedsConfiguration(), "a new installation needs configuration");
                Expect(cfg.EnsureConfigured() == Native.OUTCOME_ADMIN_NEEDED, "admin needed");

                string r = cfg.Call("{\"op\":\"screen\"}");
                Expect(r.Contains("\"screen\":\"welcome\"") && r.Contains("Iniciar"), "welcome: " + r);
                r = cfg.CallAlloc("{\"op\":\"apply\",\"action\":{\"action\":\"start\"}}");
                Expect(r.Contains("name_installation"), "name: " + r);
                r = cfg.Call("{\"op\":\"apply\",\"action\":{\"action\":\"set_name\",\"name\":\"RM Homologação\"}}");
                Expect(r.Contains("choose_environment") && r.Contains("env_hml_2"), "choose: " + r);
                Console.WriteLine("screen: choose_environment");
                r = cfg.CallAlloc("{\"op\":\"apply\",\"action\":{\"action\":\"select\",\"environment_id\":\"env_hml_2\"}}");
                Expect(r.Contains("\"ok\":true"), "select: " + r);

                Expect(cfg.WaitTask(30000) == Native.TASK_SUCCEEDED, "task succeeded");
                Expect(!cfg.NeedsConfiguration(), "configured");
                r = cfg.CallAlloc("{\"op\":\"credentials\"}");
                Expect(r.Contains("\"client_secret\"") && r.Contains("env_hml_2"), "credentials");
                Console.WriteLine("credentials: received (secret not printed)");
                r = cfg.Call("{\"op\":\"status\"}");
                Expect(r.Contains("\"needs_configuration\":false"), "status: " + r);
            }
            RunWithOwnStore(args[0], args[1]);
            Console.WriteLine("csharp first binding done");
            return 0;
        }

        /// <summary>The same installation, its state in OwnStore: the
        /// platform binds it already, so EnsureConfigured repairs the
        /// configuration silently.</summary>
        static void RunWithOwnStore(string url, string token)
        {
            string dir = Path.Combine(Path.GetTempPath(), "smartlink-cs-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            try
            {
                string key = Path.Combine(dir, "seal.key");
                Configurator.Check(Native.smartlink_seal_key_create(Native.Utf8z(key)), "smartlink_seal_key_create");
                string config = "{\"platform_url\":\"" + url + "\",\"token\":\"" + token + "\"," +
                    "\"state\":{\"kind\":\"callbacks\",\"seal_key_file\":\"" + key.Replace("\\", "\\\\") + "\"}," +
                    "\"installation\":{\"id\":\"rm-csharp-01\",\"line\":\"rm\",\"kind\":\"homologation\"}}";
                var store = new OwnStore();
                string secret;
                StoreCallbacks table = store.Callbacks();
                Configurator opened;
                try { opened = new Configurator(config, table); }
                catch
                {
                    // Refused: the library never calls release_ctx, ctx is ours.
                    GCHandle.FromIntPtr(table.Ctx).Free();
                    throw;
                }
                using (var cfg = opened)
                {
                    Expect(cfg.NeedsConfiguration(), "an empty store needs configuration");
                    Expect(cfg.EnsureConfigured() == Native.OUTCOME_CONFIGURED, "configured from the platform");
                    Expect(!cfg.NeedsConfiguration(), "configured in the own store");
                    string r = cfg.CallAlloc("{\"op\":\"credentials\"}");
                    int at = r.IndexOf("\"client_secret\":\"") + "\"client_secret\":\"".Length;
                    secret = r.Substring(at, r.IndexOf('"', at) - at);
                    r = cfg.Call("{\"op\":\"status\"}");
                    Expect(r.Contains("\"kind\":\"custom\""), "status: " + r);
                }
                // Disposed: the handle was freed and release_ctx called once.
                Expect(store.ContextsReleased == 1, "release_ctx once");
                Expect(store.Document != null && store.Version >= 1, "a document stored");
                Expect(OwnStore.Contains(store.Document, Encoding.UTF8.GetBytes("\"sealed\"")), "sealed");
                Expect(secret.Length > 0 && !OwnStore.Contains(store.Document, Encoding.UTF8.GetBytes(secret)),
                    "no secret in clear in the host's store");
                Expect(store.Holder == null, "the lease was released");
                Console.WriteLine("own store: configured, the secret sealed in it");
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }
    }
}
