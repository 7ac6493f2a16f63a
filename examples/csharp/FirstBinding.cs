// The RM route: P/Invoke into libsmartlink with a SafeHandle, running a first
// binding against the sandbox. Compiled with Mono's mcs and run with mono by
// the tests (smartlink-ffi/tests/examples.rs).
//
// Usage: mono FirstBinding.exe PLATFORM_URL TOKEN
// (libsmartlink.so must be on LD_LIBRARY_PATH; on Windows, smartlink.dll next
// to the executable.)
using System;
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
            Console.WriteLine("csharp first binding done");
            return 0;
        }
    }
}
