package server

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"go.yaml.in/yaml/v3"

	"github.com/berth-dev/berth/internal/controller"
	"github.com/berth-dev/berth/internal/runtime/kube"
	"github.com/berth-dev/berth/internal/runtime/process"
	"github.com/berth-dev/berth/internal/usecase"
	"github.com/berth-dev/berth/internal/workload"
)

// Config is everything `berth serve` can be told.
type Config struct {
	Listen string
	// SSHListen is where the SSH server into pods listens ("": no SSH server).
	SSHListen               string
	DataDir                 string
	Database                string
	Nodes                   int
	CPUsPerNode             string
	MemoryPerNode           string
	GPUsPerNode             string
	EphemeralStoragePerNode string
	GPUVendor               string
	StopGrace               string
	LogLevel                string
	// LogFormat: LogFormatText or LogFormatJSON (logging.go).
	LogFormat string
	// MetricsAdminOnly makes /metrics ask for a system administrator's credentials.
	MetricsAdminOnly bool
	// Registry, RegistrySecret: where exportimage jobs push, with which image secret.
	Registry        string
	RegistrySecret  string
	AllowHostReboot bool
	// Kubeconfig, KubeContext: run workloads on that Kubernetes cluster instead of
	// as processes on this host.
	Kubeconfig  string
	KubeContext string
	KubeAPIQPS  int
	// AggregateService, NAMESPACE/NAME[:PORT]: register the Kubernetes API with
	// --kubeconfig's cluster as aggregated APIs served by that Service (aggregate.go).
	AggregateService string
	// PodUIDRange, UnsafeNoSandbox: how the process runtime isolates pods (sandbox.go).
	PodUIDRange     string
	UnsafeNoSandbox bool
	// UnsafeNoLimits runs sandboxed pods without cgroup limits where cgroups cannot
	// be made (not root, or a controller missing); without it such a server refuses
	// pods.
	UnsafeNoLimits bool
	// PodBridge, PodSubnet: the network of sandboxed pods (empty: the defaults).
	PodBridge string
	PodSubnet string
	// PodSlots is how many sandboxed pods' shims the process runtime keeps started
	// ahead (process.Config.Slots).
	PodSlots int
	// Images: ImagesHost or ImagesPull (images.go).
	Images string
	// TokenTTL is how long a login token lasts; it must be positive (checkTokenTTL).
	TokenTTL time.Duration
	// SuperviseAfter is how long a supervised job's pods may print nothing before it
	// is failed over as hung; 0 turns hang detection off.
	SuperviseAfter time.Duration
	// CullSample is how often dev machines' activity is sampled for idle culling.
	CullSample time.Duration
}

// Defaults of Config.
const (
	DefaultListen    = "127.0.0.1:8088"
	DefaultDataDir   = "./berth-data"
	DefaultStopGrace = "10s"
	DefaultTokenTTL  = usecase.DefaultTokenTTL
	// DefaultPodUIDRange is 2^31 and the 65535 uids above it: Debian gives users and
	// the system 0-59999 and reserves 60000-65535, adduser never hands out more,
	// useradd's subordinate ids (/etc/subuid) stay below 600100000 and
	// systemd-nspawn's below 1879048192.
	DefaultPodUIDRange = "2147483648-2147549183"
	// DefaultPodSlots is how many pods' shims are kept started ahead: enough for the
	// pods arriving between two refills on a small host, few enough to cost little.
	DefaultPodSlots = 4
)

// bindFlags declares every flag of `berth serve` on fs, writing into c.
func (c *Config) bindFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Listen, "listen", DefaultListen, "address the API listens on")
	fs.StringVar(&c.SSHListen, "ssh-listen", "", "address the SSH server into pods listens on, e.g. :2222 (empty: no SSH server); "+
		"pods' sshAddr names its host, or this host's name when it has none")
	fs.StringVar(&c.DataDir, "data-dir", DefaultDataDir, "directory for the database, keys, pod logs")
	fs.StringVar(&c.Database, "database", "", "PostgreSQL URL (postgres://...); empty: SQLite in the data dir")
	fs.IntVar(&c.Nodes, "nodes", 0, "number of virtual nodes (0: one node describing this host)")
	fs.StringVar(&c.CPUsPerNode, "cpus-per-node", "8", "CPUs of each virtual node")
	fs.StringVar(&c.MemoryPerNode, "memory-per-node", "32Gi", "memory of each virtual node")
	fs.StringVar(&c.GPUsPerNode, "gpus-per-node", "0", "GPUs of each virtual node")
	fs.StringVar(&c.EphemeralStoragePerNode, "ephemeral-storage-per-node", "100Gi", "ephemeral storage of each virtual node")
	fs.StringVar(&c.GPUVendor, "gpu-vendor", "nvidia", "GPU vendor of virtual nodes (nvidia or amd): decides CUDA_ or HIP_VISIBLE_DEVICES")
	fs.StringVar(&c.StopGrace, "stop-grace", DefaultStopGrace, "time between SIGTERM and SIGKILL when pods are stopped")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", LogFormatText, "text (one key=value line per record) or json (one JSON object per line)")
	fs.BoolVar(&c.MetricsAdminOnly, "metrics-admin-only", false, "ask for a system administrator's token or API key on /metrics (else it needs none, like /healthz and /readyz)")
	fs.StringVar(&c.Registry, "registry", "", "registry host exportimage jobs push to (empty: those jobs fail)")
	fs.StringVar(&c.RegistrySecret, "registry-secret", "", "id of the image secret holding the registry's credentials")
	fs.StringVar(&c.Kubeconfig, "kubeconfig", "", "kubeconfig of a Kubernetes cluster to run workloads on (empty: processes on this host)")
	fs.StringVar(&c.KubeContext, "kube-context", "", "context of --kubeconfig to use (empty: its current context)")
	fs.IntVar(&c.KubeAPIQPS, "kube-api-qps", kube.DefaultQPS, "requests per second to the Kubernetes API server (burst twice that)")
	fs.StringVar(&c.AggregateService, "aggregate-service", "", "with --kubeconfig, NAMESPACE/NAME[:PORT] of the Service the cluster reaches this server by: "+
		"Berth registers its Kubernetes API groups there as aggregated APIs (APIService objects; PORT defaults to the --listen port), "+
		"its serving certificate names NAME.NAMESPACE.svc, and requests the cluster's front proxy vouches for act as the Berth user of the Kubernetes user's name")
	fs.StringVar(&c.PodUIDRange, "pod-uid-range", DefaultPodUIDRange, "uids (and gids) the process runtime gives workspaces, one each, to run their pods as: "+
		"the default is above every uid Debian, adduser, /etc/subuid and systemd-nspawn hand out, so no user or container of the host shares one; "+
		"a server that is not root uses its user's subordinate ids (/etc/subuid, /etc/subgid) instead")
	fs.BoolVar(&c.UnsafeNoSandbox, "unsafe-no-sandbox", false, "run pods of the process runtime as the server's user with its view of the data dir "+
		"(keys, database, other pods' logs) and without limits where they cannot be sandboxed (no user namespaces or cgroups); "+
		"without it such a server refuses to start pods")
	fs.BoolVar(&c.UnsafeNoLimits, "unsafe-no-limits", false, "run sandboxed pods of the process runtime without cpu, memory "+
		"and pids limits where cgroups cannot be made (not root, or a controller missing); without it such a server refuses to start pods")
	fs.StringVar(&c.PodBridge, "pod-bridge", process.DefaultBridge, "host bridge the process runtime puts sandboxed pods on (made if missing)")
	fs.StringVar(&c.PodSubnet, "pod-subnet", process.DefaultSubnet.String(), "IPv4 subnet of sandboxed pods: the bridge gets its first address, each pod one of the rest")
	fs.IntVar(&c.PodSlots, "pod-slots", DefaultPodSlots, "sandboxed pods' shims the process runtime keeps started ahead, each in its cgroup "+
		"and network namespace, so that a pod's start waits for neither (as root, on the host's filesystem, with cgroup v1); "+
		"up to four times as many while pods run in them; 0: none")
	fs.StringVar(&c.Images, "images", ImagesHost, "where pods of the process runtime find their filesystem: host (this host's, works offline) "+
		"or pull (each pod in its workload's image, pulled with its image secrets and unpacked once per digest under the data dir; needs root)")
	fs.DurationVar(&c.TokenTTL, "token-ttl", DefaultTokenTTL, "how long a login token (and its cookie) lasts, e.g. 12h; "+
		"logout, a password change, a freeze or a deletion of the user end it earlier")
	fs.DurationVar(&c.SuperviseAfter, "supervise-after", workload.SuperviseAfterDefault, "how long the pods of a supervised job "+
		"(isSupervised) may print nothing before it looks hung and is failed over, as a node fault would be; 0 turns hang detection off")
	fs.DurationVar(&c.CullSample, "cull-sample", controller.DefaultCullSample, "how often the activity of dev machines "+
		"(open shell sessions, CPU use) is sampled for their workspace's cullIdleAfterSeconds")
	fs.BoolVar(&c.AllowHostReboot, "allow-host-reboot", false, "let reboot jobs reboot this host (nodes of the process runtime)")
}

// checkTokenTTL refuses a TokenTTL that is not positive: a login token that never
// expires could not be revoked by a logout without remembering it for ever.
func checkTokenTTL(ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("--token-ttl %s: must be positive, e.g. 168h (login tokens that never expire are not offered)", ttl)
	}
	return nil
}

// applyEnvAndFile fills every flag not given on the command line from the
// environment (BERTH_<NAME>, e.g. BERTH_DATA_DIR) or else from the YAML config file
// configPath, or BERTH_CONFIG's when empty (keys are the flag names, e.g. data-dir).
// Precedence: flag, environment, file, default.
func applyEnvAndFile(fs *pflag.FlagSet, configPath string) error {
	if configPath == "" {
		configPath = os.Getenv(configEnv)
	}
	file := map[string]any{}
	if configPath != "" {
		raw, err := os.ReadFile(configPath)
		if err != nil {
			return fmt.Errorf("read config: %w", err)
		}
		if err := yaml.Unmarshal(raw, &file); err != nil {
			return fmt.Errorf("config %s: %w", configPath, err)
		}
	}
	for key := range file {
		if fs.Lookup(key) == nil {
			return fmt.Errorf("config %s: unknown setting %q", configPath, key)
		}
	}
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "config" {
			return
		}
		env := envName(f.Name)
		if v, ok := os.LookupEnv(env); ok {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s=%q: %w", env, v, e)
			}
			return
		}
		if v, ok := file[f.Name]; ok {
			if e := f.Value.Set(fmt.Sprint(v)); e != nil {
				err = fmt.Errorf("config %s: %s: %w", configPath, f.Name, e)
			}
		}
	})
	return err
}

// envName is the environment variable of the flag name: BERTH_DATA_DIR for data-dir.
func envName(flag string) string {
	return "BERTH_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}
